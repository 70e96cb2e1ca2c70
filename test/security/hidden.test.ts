// Issue 10, "hidden must stay hidden": every statement a device file can make,
// every host state, every guest access sequence. Expected values come from the
// dumps' own bytes and the specification's layouts, not from the code under test.
import fc from "fast-check";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compileRuleText } from "../../src/compile/pipeline.js";
import { CfgvirtError } from "../../src/diag/diagnostic.js";
import { accessProfile, accessSequence, applyMutations, hostMutations } from "../../src/fuzz/arbitraries.js";
import { openPairFromSource } from "../../src/fuzz/harness.js";
import { checkHiddenStaysHidden } from "../../src/fuzz/hidden.js";
import { devicePolicies } from "../../src/fuzz/policies.js";
import { type DeviceSource, type OpenedDevice, openSource, readDeviceSource } from "../../src/open-device.js";
import { formatAccessScript } from "../../src/runtime/script.js";
import { fuzzDevices } from "../fuzz/devices.js";
import { haveSharedDevices, sharedDevicesDir } from "../helpers/devices.js";

const nic82576 = join(sharedDevicesDir, "intel-82576-nic.lspci");
const endpoints = fuzzDevices.filter((d) => !d.bridge);

/** A source with the standard library plus one device file's text. */
function withDeviceFile(path: string, text: string, bytes?: Uint8Array): DeviceSource {
  const source = readDeviceSource(path);
  return { ...source, compiled: compileRuleText("device.rules", text), ...(bytes ? { bytes } : {}) };
}

const hostByte = (o: OpenedDevice, b: number) => (o.host.words[b >> 2] >>> ((b & 3) * 8)) & 0xff;
const readBytes = (o: OpenedDevice, from: number, to: number) => Array.from({ length: to - from }, (_, i) => o.device.read(from + i, 1));
const placedAt = (o: OpenedDevice, name: string) => o.tables.placed.find((p) => p.template.name === name);

/** Extended capability headers of a dump, from its bytes (ID, offset). */
function extendedChain(bytes: Uint8Array): { id: number; offset: number }[] {
  const out: { id: number; offset: number }[] = [];
  const dword = (o: number) => (bytes[o] | (bytes[o + 1] << 8) | (bytes[o + 2] << 16) | (bytes[o + 3] << 24)) >>> 0;
  for (let p = 0x100; p !== 0 && out.length < 64; p = (dword(p) >>> 20) & 0xffc) out.push({ id: dword(p) & 0xffff, offset: p });
  return out;
}

describe.skipIf(!haveSharedDevices)("10.1 permissive covers only bytes no layout claims (82576)", () => {
  const source = withDeviceFile(nic82576, 'device "x" match 8086:10c9 { hide sriov; permissive }\n');
  const chain = extendedChain(source.bytes);
  const dsn = chain.find((c) => c.id === 0x0003)!.offset;
  const sriov = chain.find((c) => c.id === 0x0010)!.offset;

  it("the DSN (hidden by default) reads 0 under permissive", () => {
    const o = openSource(source);
    expect(hostByte(o, dsn + 4) | hostByte(o, dsn + 5)).not.toBe(0);
    expect(readBytes(o, dsn + 4, dsn + 12)).toEqual(new Array(8).fill(0));
  });

  it("the guest cannot write SR-IOV NumVFs or VF BAR0 (hidden by `hide sriov`) under permissive", () => {
    const o = openSource(source);
    const numVfs = hostByte(o, sriov + 0x10);
    const vfBar0 = [0, 1, 2, 3].map((i) => hostByte(o, sriov + 0x24 + i));
    o.device.write(sriov + 0x10, 2, 7);
    o.device.write(sriov + 0x24, 4, 0xfee00000);
    expect(hostByte(o, sriov + 0x10)).toBe(numVfs);
    expect([0, 1, 2, 3].map((i) => hostByte(o, sriov + 0x24 + i))).toEqual(vfBar0);
    expect(o.device.read(sriov + 0x10, 2)).toBe(0);
  });

  it("a `pass` range over a hidden capability does not expose it", () => {
    const o = openSource(withDeviceFile(nic82576, `device "x" match 8086:10c9 { pass 0x${dsn.toString(16)}..0x${(dsn + 11).toString(16)} RW }\n`));
    expect(readBytes(o, dsn + 4, dsn + 12)).toEqual(new Array(8).fill(0));
    const before = hostByte(o, dsn + 4);
    o.device.write(dsn + 4, 1, before ^ 0xff);
    expect(hostByte(o, dsn + 4)).toBe(before);
  });

  it("permissive still passes bytes that no layout claims", () => {
    const o = openSource(source);
    // 0x40..0xff bytes outside every standard capability: find one from the placements' own bytes.
    const inCap = (b: number) => o.tables.placed.some((p) => b >= p.offset && b < p.offset + p.size);
    const free = Array.from({ length: 0xc0 }, (_, i) => 0x40 + i).find((b) => !inCap(b) && hostByte(o, b) !== 0);
    if (free !== undefined) expect(o.device.read(free, 1)).toBe(hostByte(o, free));
  });
});

describe.skipIf(!haveSharedDevices)("10.2 a layout's size never follows a status bit", () => {
  it("AER with TLP Prefix Log Present set does not grow over the hidden DSN (82576)", () => {
    const plain = readDeviceSource(nic82576);
    const chain = extendedChain(plain.bytes);
    const aer = chain.find((c) => c.id === 0x0001)!.offset;
    const dsn = chain.find((c) => c.id === 0x0003)!.offset;
    const bytes = Uint8Array.from(plain.bytes);
    bytes[aer + 0x19] |= 0x08; // Capabilities and Control bit 11: TLP Prefix Log Present (ROS)
    const o = openSource({ ...plain, bytes });
    expect(placedAt(o, "aer")!.size).toBe(0x2c);
    expect(readBytes(o, dsn, dsn + 12).slice(4)).toEqual(new Array(8).fill(0));
  });
});

describe.skipIf(!haveSharedDevices)("10.3 overlapping placements: the hidden one wins; nothing runs past its space", () => {
  it("a visible VSEC whose length covers the hidden DSN does not pass the DSN's bytes", () => {
    const plain = readDeviceSource(nic82576);
    const bytes = Uint8Array.from(plain.bytes);
    const chain = extendedChain(bytes);
    const dsn = chain.find((c) => c.id === 0x0003)!.offset;
    expect(chain[0].offset).toBe(0x100);
    // Turn the first extended capability (0x100) into a VSEC whose length runs over the DSN.
    bytes[0x100] = 0x0b;
    bytes[0x101] = 0x00;
    const length = dsn + 12 - 0x100;
    bytes[0x106] = (bytes[0x106] & 0x0f) | ((length & 0xf) << 4);
    bytes[0x107] = length >> 4;
    const o = openSource({ ...plain, bytes, compiled: compileRuleText("d.rules", 'device "x" match 8086:10c9 { allow vsec }\n') });
    expect(placedAt(o, "vsec")!.visible).toBe(true);
    expect(placedAt(o, "vsec")!.size).toBe(length);
    expect(readBytes(o, dsn + 4, dsn + 12)).toEqual(new Array(8).fill(0));
    expect(o.tables.notes.join("\n")).toMatch(new RegExp(`vsec at 0x100 overlaps hidden bytes 0x${dsn.toString(16)}\\.\\.0x${(dsn + 11).toString(16)}`));
  });

  it("a vendor-specific capability near 0xff is cut at 0x100", () => {
    const plain = readDeviceSource(nic82576);
    const bytes = Uint8Array.from(plain.bytes);
    // Append a vendor-specific capability at 0xf0 with a length of 0x40.
    let p = bytes[0x34];
    while (bytes[p + 1] !== 0) p = bytes[p + 1];
    bytes[p + 1] = 0xf0;
    bytes.set([0x09, 0x00, 0x40], 0xf0);
    const o = openSource({ ...plain, bytes, compiled: compileRuleText("d.rules", 'device "x" match 8086:10c9 { allow vendor_specific }\n') });
    const vs = placedAt(o, "vendor_specific")!;
    expect(vs.offset).toBe(0xf0);
    expect(vs.size).toBe(0x10);
    expect(o.tables.notes.join("\n")).toContain("vendor_specific at 0xf0 claims 0x40 bytes, past the end of its space at 0x100; cut there");
  });
});

describe("10.13 device-file statements are validated like layouts", () => {
  const compileError = (text: string): string => {
    try {
      compileRuleText("dev.rules", text);
    } catch (e) {
      if (e instanceof CfgvirtError) return e.message;
      throw e;
    }
    throw new Error("expected a compile error");
  };

  it("an override to an unknown hook is E105 at the device file", () => {
    const m = compileError('device "x" match 8086:10c9 {\n  override msi.control.multiple_enable trap(frobnicate)\n}\n');
    expect(m).toContain("dev.rules:2:45: error[E105]: unknown hook `frobnicate`");
  });

  it("an override that puts a second hook in MSI Enable's dword is E113", () => {
    const m = compileError('device "x" match 8086:10c9 {\n  override msi.control.multiple_enable trap(power_state)\n}\n');
    expect(m).toContain("dev.rules:2:45: error[E113]: hook `power_state` shares dword 0x0 of msi with hook `msi_enable`");
  });

  it("an override constant that does not fit its field is E108 at the device file", () => {
    const m = compileError('device "x" match 8086:10c9 {\n  override msi.control.multiple_enable emulate(9)\n}\n');
    expect(m).toMatch(/dev\.rules:2:\d+: error\[E108\]: value 0x9 does not fit the 3-bit field `multiple_enable`/);
  });
});

/**
 * A random Type 0 function: random bytes, then a standard chain and an
 * extended chain of capabilities the rules know (and some they do not) at
 * random offsets, so that lengths, overlaps and space ends all vary.
 */
function randomDevice(): fc.Arbitrary<Uint8Array> {
  const stdIds = [0x01, 0x03, 0x05, 0x09, 0x0a, 0x10, 0x11, 0x13, 0x0d, 0x7e];
  const extIds = [0x0001, 0x0002, 0x0003, 0x000b, 0x000d, 0x000e, 0x0010, 0x0015, 0x0018, 0x001e, 0x0023, 0x0027, 0x00ee];
  const chain = (ids: number[], lo: number, hi: number, max: number) =>
    fc.array(fc.record({ id: fc.constantFrom(...ids), at: fc.integer({ min: lo / 4, max: hi / 4 }).map((x) => x * 4) }), { maxLength: max });
  return fc
    .record({ noise: fc.uint8Array({ minLength: 4096, maxLength: 4096 }), std: chain(stdIds, 0x40, 0xfc, 6), ext: chain(extIds, 0x100, 0xffc, 6) })
    .map(({ noise, std, ext }) => {
      const b = Uint8Array.from(noise);
      b.set([0x86, 0x80, 0x34, 0x12], 0); // a vendor no device file matches exactly
      b[0x0e] = 0x00;
      b[0x06] |= 0x10; // Capabilities List
      const stdAt = [...new Set(std.map((c) => c.at))];
      b[0x34] = stdAt[0] ?? 0;
      stdAt.forEach((at, i) => {
        b[at] = std[i].id;
        b[at + 1] = stdAt[i + 1] ?? 0;
      });
      const extAt = [0x100, ...new Set(ext.map((c) => c.at).filter((a) => a !== 0x100))].slice(0, Math.max(1, ext.length));
      extAt.forEach((at, i) => {
        const header = ((ext[i]?.id ?? 0x0001) | (1 << 16) | ((extAt[i + 1] ?? 0) << 20)) >>> 0;
        b.set([header & 0xff, (header >>> 8) & 0xff, (header >>> 16) & 0xff, header >>> 24], at);
      });
      return b;
    });
}

describe("10.6 hidden stays hidden on random devices", () => {
  it("random chains, lengths and device files never expose or change a hidden byte", () => {
    const source = readDeviceSource(endpoints[0].path);
    const profile = { hot: [0x00, 0x04, 0x10, 0x34, 0x40, 0x100, 0x104, 0xfc, 0xff, 0xffc] };
    fc.assert(
      fc.property(randomDevice(), devicePolicies(source.compiled), fc.nat(), (bytes, policy, seed) => {
        let o: OpenedDevice;
        try {
          o = openSource({ ...source, bytes, barSizes: [], romSize: undefined, vpd: undefined }, { policy });
        } catch (e) {
          if (e instanceof CfgvirtError) return;
          throw e;
        }
        const accesses = fc.sample(accessSequence(profile, { minLength: 20, maxLength: 80 }), { seed, numRuns: 1 })[0];
        const failure = checkHiddenStaysHidden(o, accesses);
        if (failure) throw new Error(`${failure}\n${formatAccessScript(accesses)}`);
      }),
      { seed: 0x10_66, numRuns: 150 },
    );
  }, 60_000);
});

describe("10.6 hidden stays hidden: random device files, host states and guest accesses", () => {
  const picked = endpoints.filter((d) => /nic\.rules|82576|navi23|connectx|lsi|samsung|haswell|ehci|ti-tusb/.test(d.name));
  it.each(picked.map((d) => [d.name, d.path] as const))("%s", (_name, path) => {
    const source = readDeviceSource(path);
    const profile = accessProfile(openPairFromSource(source).ref);
    fc.assert(
      fc.property(devicePolicies(source.compiled), hostMutations(profile, 8), fc.nat(), (policy, mutations, seed) => {
        let o: OpenedDevice;
        try {
          o = openSource({ ...source, bytes: applyMutations(source.bytes, mutations) }, { policy });
        } catch (e) {
          if (e instanceof CfgvirtError) return; // a mutated header type is refused, as it should be
          throw e;
        }
        const accesses = fc.sample(accessSequence(profile, { minLength: 20, maxLength: 80 }), { seed, numRuns: 1 })[0];
        const failure = checkHiddenStaysHidden(o, accesses);
        if (failure) throw new Error(`${failure}\n${formatAccessScript(accesses)}`);
      }),
      { seed: 0x10_06, numRuns: 60 },
    );
  }, 60_000);
});
