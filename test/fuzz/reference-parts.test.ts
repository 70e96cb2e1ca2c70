// The reference interpreter's own parts, written from the specification and
// the README rather than from the table path: each checked on its own, and
// against the table path's counterpart where one exists.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { matchDevice } from "../../src/compile/apply/match.js";
import { compileRuleText } from "../../src/compile/pipeline.js";
import { capabilityChains } from "../../src/fuzz/reference/chains.js";
import { pickDeviceFile } from "../../src/fuzz/reference/device-file.js";
import { advertisesReset, serveVpd, startsReset } from "../../src/fuzz/reference/hooks.js";
import { SimulatedDevice } from "../../src/host/simulated.js";
import { walkExtended, walkStandard } from "../../src/runtime/chains.js";

const device = (bytes: Record<number, number>, size = 4096) => {
  const b = new Uint8Array(size);
  for (const [o, v] of Object.entries(bytes)) b[Number(o)] = v;
  return new SimulatedDevice(b);
};

describe("chain walker", () => {
  it("follows both chains in link order, masking the reserved pointer bits", () => {
    const host = device({ 0x06: 0x10, 0x34: 0x43, 0x40: 0x01, 0x41: 0x61, 0x60: 0x05, 0x61: 0, 0x100: 0x01, 0x101: 0, 0x102: 0x01, 0x103: 0x18, 0x180: 0x0d, 0x182: 0x01 });
    expect(capabilityChains(host)).toEqual([
      { kind: "capability", id: 1, offset: 0x40 },
      { kind: "capability", id: 5, offset: 0x60 },
      { kind: "extended", id: 1, offset: 0x100 },
      { kind: "extended", id: 0x0d, offset: 0x180 },
    ]);
  });
  it("stops at a loop, a pointer into the header, and without the Capabilities List bit", () => {
    expect(capabilityChains(device({ 0x06: 0x10, 0x34: 0x40, 0x40: 1, 0x41: 0x40 }, 256)).map((c) => c.offset)).toEqual([0x40]);
    expect(capabilityChains(device({ 0x06: 0x10, 0x34: 0x40, 0x40: 1, 0x41: 0x20 }, 256)).map((c) => c.offset)).toEqual([0x40]);
    expect(capabilityChains(device({ 0x06: 0x00, 0x34: 0x40, 0x40: 1 }, 256))).toEqual([]);
  });
  it("finds what the table path's walker finds on any configuration space (property)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 4096, maxLength: 4096 }), fc.array(fc.integer({ min: 0x40, max: 0x140 }), { maxLength: 12 }), (bytes, links) => {
        // Bias towards chains: plant links at random places.
        for (let i = 0; i + 1 < links.length; i++) bytes[links[i] + 1] = links[i + 1];
        bytes[0x06] |= 0x10;
        const host = new SimulatedDevice(bytes);
        const theirs = [...walkStandard(host, []), ...walkExtended(host, [])].map(({ kind, id, offset }) => ({ kind, id, offset }));
        expect(capabilityChains(host)).toEqual(theirs);
      }),
      { seed: 0xc4a1, numRuns: 300 },
    );
  });
});

describe("device-file matching", () => {
  const c = compileRuleText("d.rules", [
    `device "class" match class 0x020000/0xffff00 { permissive }`,
    `device "vendor" match 8086:* { permissive }`,
    `device "vendor-device" match 8086:10d3 { permissive }`,
    `device "with-subsystem" match 8086:10d3 subsystem 8086:a01f { permissive }`,
    `device "vendor-device again" match 8086:10d3 { permissive }`,
  ].join("\n"));
  const id = (vendor: number, dev: number, subsystemVendor: number, subsystem: number, classCode: number) => ({ vendor, device: dev, subsystemVendor, subsystem, classCode });
  const cases = [
    [id(0x8086, 0x10d3, 0x8086, 0xa01f, 0x020000), "with-subsystem"],
    [id(0x8086, 0x10d3, 0x8086, 0x0001, 0x020000), "vendor-device again"],
    [id(0x8086, 0x1234, 0, 0, 0x020000), "vendor"],
    [id(0x10ec, 0x8168, 0, 0, 0x020000), "class"],
    [id(0x10ec, 0x8168, 0, 0, 0x010802), undefined],
  ] as const;
  it.each(cases)("the most specific file applies, the last loaded on a tie (%o -> %s)", (identity, want) => {
    const devices = c.ruleSet.devices.filter((d) => d.span.source.path === "d.rules");
    expect(pickDeviceFile(devices, identity)?.name).toBe(want);
    // The compiler's matcher agrees.
    const policies = c.devices.filter((p) => p.source.path === "d.rules");
    expect(matchDevice(policies, identity)?.name).toBe(want);
  });
});

describe("hooks", () => {
  it("VPD: a read request fills Data and sets F; a write request stores Data and clears F, or never completes past the end", () => {
    const s = new Uint32Array(4);
    s[0] = (0x0002 << 16) | 0x0003;
    const vpd = new Uint8Array([0x82, 0x10, 0x00, 0x41, 0x42, 0, 0]);
    serveVpd(s, 0, 0xffff0000, vpd);
    expect(s[1]).toBe(0x00424100);
    expect(s[0] >>> 31).toBe(1);
    s[1] = 0x04030201;
    serveVpd(s, 0, 0xffff0000, vpd); // F = 1 at 0x0002: writes bytes 2..5
    expect([...vpd]).toEqual([0x82, 0x10, 1, 2, 3, 4, 0]);
    expect(s[0] >>> 31).toBe(0);
    s[0] = (0x8006 << 16) | 0x0003; // F = 1 at 0x0006: past the end
    serveVpd(s, 0, 0xffff0000, vpd);
    expect(s[0] >>> 31).toBe(1);
    const before = Uint32Array.from(s);
    serveVpd(s, 0, 0x7fff0000, new Uint8Array(8)); // not the VPD address register: nothing
    expect(s).toEqual(before);
  });
  it("FLR starts when the write sets the trapped bit", () => {
    const s = new Uint32Array([0x8000]);
    expect(startsReset(s, 0, 0xffff, 0x8000)).toBe(true);
    expect(startsReset(s, 0, 0xff, 0x8000)).toBe(false);
    expect(startsReset(new Uint32Array(1), 0, 0xffff, 0x8000)).toBe(false);
  });
  it("FLR is advertised by PCIe Device Capabilities bit 28 or AF Capabilities bit 1, in the dword before", () => {
    const words = [0, 1 << 28, 0, 1 << 25];
    const read = (i: number) => words[i];
    expect(advertisesReset(read, 2, 0x8000)).toBe(true);
    expect(advertisesReset(read, 3, 0x8000)).toBe(false);
    expect(advertisesReset(read, 4, 0x1)).toBe(true);
    expect(advertisesReset(read, 2, 0x1)).toBe(false);
    expect(advertisesReset(read, 0, 0x8000)).toBe(false);
  });
});
