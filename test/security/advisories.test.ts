// Known escapes through configuration-space pass-through, as regression tests
// on every example device and every real dump that has the registers involved.
// Each test is named after its advisory. Expected values come from the
// specification's register layouts, not from the code under test.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openPair, runPair, type GuestAccess } from "../../src/fuzz/harness.js";
import { type OpenedDevice, openDevice } from "../../src/open-device.js";
import { DeviceLog, memorySink } from "../../src/runtime/log.js";
import { VirtualDevice } from "../../src/runtime/virtual-device.js";
import { fuzzDevices } from "../fuzz/devices.js";

const endpoints = fuzzDevices.filter((d) => !d.bridge);

function open(path: string, log?: (l: string) => void): OpenedDevice {
  return openDevice(path, { log });
}

/** Offset of the visible capability `name`, or undefined. */
function capAt(o: OpenedDevice, name: string): number | undefined {
  return o.tables.placed.find((p) => p.template.name === name && p.visible)?.offset;
}

const hostByte = (o: OpenedDevice, off: number) => (o.host.words[off >> 2] >>> ((off & 3) * 8)) & 0xff;
const hostWord = (o: OpenedDevice, off: number) => hostByte(o, off) | (hostByte(o, off + 1) << 8);
const hostBytes = (o: OpenedDevice, from: number, to: number) => Array.from({ length: to - from }, (_, i) => hostByte(o, from + i));
function setHostWord(o: OpenedDevice, off: number, v: number): void {
  const d = off >> 2;
  const sh = (off & 3) * 8;
  o.host.words[d] = ((o.host.words[d] & ~(0xffff << sh)) | ((v & 0xffff) << sh)) >>> 0;
}

/** MSI register offsets relative to the capability, from the spec (PCI LB 3.0 §6.8.1). */
function msiLayout(control: number) {
  const is64 = (control & 0x80) !== 0;
  return { is64, pvm: (control & 0x100) !== 0, address: 4, addressHi: is64 ? 8 : undefined, data: is64 ? 0x0c : 0x08, mask: is64 ? 0x10 : 0x0c, pending: is64 ? 0x14 : 0x10 };
}

const withCap = (name: string) =>
  endpoints.filter((d) => capAt(open(d.path), name) !== undefined).map((d) => [d.name, d.path] as const);

describe.each(endpoints.map((d) => [d.name, d.path] as const))("%s", (_name, path) => {
  it("XSA-120 / XSA-126: the guest clearing Memory and I/O decode leaves the host decoding", () => {
    const o = open(path);
    const before = hostWord(o, 4);
    o.device.write(0x04, 2, 0x0000);
    expect(hostWord(o, 4) & 0x3).toBe(before & 0x3);
    expect(o.device.read(0x04, 2) & 0x3).toBe(0); // the guest sees its own value
    o.device.write(0x04, 4, 0x00000000); // dword form, over Status too
    expect(hostWord(o, 4) & 0x3).toBe(before & 0x3);
    o.device.write(0x04, 1, 0x00);
    expect(hostWord(o, 4) & 0x3).toBe(before & 0x3);
  });

  it("CVE-2013-3495: the guest setting SERR# Enable or Parity Error Response leaves the host bits", () => {
    const o = open(path);
    const before = hostWord(o, 4);
    o.device.write(0x04, 2, 0x0140 | (before & 0x4));
    o.device.write(0x05, 1, 0x01);
    o.device.write(0x04, 4, 0x00000540);
    expect(hostWord(o, 4) & 0x0140).toBe(before & 0x0140);
    expect(o.device.read(0x04, 2) & 0x0140).toBe(0x0140);
  });

  it("XSA-131: reserved header bytes, BIST and bytes no rule covers never reach the host", () => {
    const o = open(path);
    const header = hostBytes(o, 0x35, 0x3c);
    const bist = hostByte(o, 0x0f);
    for (let off = 0; off < o.host.size; off += 4) o.device.write(off, 4, 0xffffffff);
    expect(hostBytes(o, 0x35, 0x3c)).toEqual(header);
    expect(hostByte(o, 0x0f)).toBe(bist); // BIST start would reset the function
  });

  it("XSA-131: whatever the guest writes, host bits the rules do not pass through keep their value (checked by the reference interpreter)", () => {
    const pair = openPair(path);
    const accesses: GuestAccess[] = [];
    for (const v of [0xffffffff, 0x00000000, 0xa5a5a5a5, 0x5a5a5a5a]) {
      for (let off = 0; off < 4096; off += 4) accesses.push({ kind: "w", offset: off, size: 4, value: v });
      for (let off = 0; off < 4096; off++) accesses.push({ kind: "w", offset: off, size: 1, value: v & 0xff });
    }
    expect(runPair(pair, accesses)?.message).toBeUndefined();
  });
});

describe.each(withCap("msi"))("%s MSI", (_name, path) => {
  it("XSA-128: a 4-byte write over MSI Data and the bytes after it writes nothing to the host's MSI registers", () => {
    const o = open(path);
    const base = capAt(o, "msi")!;
    const l = msiLayout(hostWord(o, base + 2));
    const before = hostBytes(o, base, base + 0x18);
    o.device.write(base + l.data, 4, 0xdeadbeef);
    o.device.write(base + l.data + 2, 2, 0xbeef);
    o.device.write(base + l.data - 1, 4, 0x12345678); // crosses into the dword before
    expect(hostBytes(o, base, base + 0x18)).toEqual(before);
    // The guest's own data (the split write's middle bytes); the bytes after it are reserved.
    expect(o.device.read(base + l.data, 2)).toBe(0x3456);
    expect(o.device.read(base + l.data + 2, 2)).toBe(0);
  });

  it("XSA-129: the guest writing the MSI per-vector mask does not change the host's mask; masking is shown as absent", () => {
    const o = open(path);
    const base = capAt(o, "msi")!;
    const l = msiLayout(hostWord(o, base + 2));
    const before = hostBytes(o, base, base + 0x18);
    o.device.write(base + l.mask, 4, 0xffffffff);
    o.device.write(base + l.mask, 1, 0x01);
    o.device.write(base + l.mask + 2, 2, 0xffff);
    expect(hostBytes(o, base, base + 0x18)).toEqual(before);
    expect(o.device.read(base + 2, 2) & 0x100).toBe(0);
  });

  it("MSI address and data never reach the host unmediated; the guest reads its own values", () => {
    const o = open(path);
    const base = capAt(o, "msi")!;
    const l = msiLayout(hostWord(o, base + 2));
    const before = hostBytes(o, base, base + 0x18);
    o.device.write(base + l.address, 4, 0xfee01004);
    if (l.addressHi !== undefined) o.device.write(base + l.addressHi, 4, 0x00000001);
    o.device.write(base + l.data, 2, 0x4041);
    o.device.write(base + 2, 2, 0x0001); // enable
    expect(hostBytes(o, base, base + 0x18)).toEqual(before);
    expect(o.device.read(base + l.address, 4)).toBe(0xfee01004);
    expect(o.device.read(base + l.data, 2)).toBe(0x4041);
    expect(o.device.read(base + 2, 2) & 1).toBe(1);
  });
});

describe.each(withCap("msix"))("%s MSI-X", (_name, path) => {
  it("XSA-130: a guest flooding MSI-X writes produces a bounded number of log lines", () => {
    const { sink, lines } = memorySink();
    const o = open(path, sink);
    const base = capAt(o, "msix")!;
    let x = 1;
    const flood = (n: number) => {
      for (let i = 0; i < n; i++) {
        x = (x * 1103515245 + 12345) >>> 0;
        const r = x >>> 16;
        o.device.write(base + (r % 12), [1, 2, 4][r % 3], x); // the MSI-X capability
        o.device.write(base + 12 + (r % 64), 4, x); // and the bytes after it
        o.device.write(i % 4096, 1, x); // and everywhere else, including bytes no rule covers
      }
    };
    flood(100_000);
    expect(lines.length).toBeLessThanOrEqual(65);
    const n = lines.length;
    flood(100_000);
    expect(lines.length).toBe(n);
  });

  it("XSA-157: with MSI-X enabled by the guest, the guest cannot enable MSI on the host as well", () => {
    const o = open(path);
    const mx = capAt(o, "msix")!;
    const msi = capAt(o, "msi");
    const hostMsix = hostWord(o, mx + 2);
    o.device.write(mx + 2, 2, 0x8000);
    expect(o.device.read(mx + 2, 2) & 0x8000).toBe(0x8000);
    expect(hostWord(o, mx + 2)).toBe(hostMsix); // mediated by the platform, not written through
    if (msi !== undefined) {
      const hostMsi = hostWord(o, msi + 2);
      o.device.write(msi + 2, 2, 0x0001);
      o.device.write(msi, 4, 0x00010000 | o.device.read(msi, 2));
      expect(hostWord(o, msi + 2) & 1).toBe(hostMsi & 1);
    }
  });
});

describe.each(withCap("pm"))("%s PM", (_name, path) => {
  it("XSA-131: PMCSR PME_Status is the host's: the guest reads 0 and clears nothing, with a 0 or a 1 (as vfio and Xen)", () => {
    const o = open(path);
    const pmcsr = capAt(o, "pm")! + 4;
    setHostWord(o, pmcsr, hostWord(o, pmcsr) | 0x8000);
    o.device.write(pmcsr, 2, 0x0000);
    expect(hostWord(o, pmcsr) & 0x8000).toBe(0x8000);
    expect(o.device.read(pmcsr, 2) & 0x8000).toBe(0);
    o.device.write(pmcsr, 2, 0x8000);
    expect(hostWord(o, pmcsr) & 0x8000).toBe(0x8000);
  });

  it("XSA-131: a guest D3hot request does not reach the host's PowerState", () => {
    const o = open(path);
    const pmcsr = capAt(o, "pm")! + 4;
    const before = hostWord(o, pmcsr) & 3;
    o.device.write(pmcsr, 2, 0x0003);
    expect(hostWord(o, pmcsr) & 3).toBe(before);
    expect(o.device.read(pmcsr, 2) & 3).toBe(3);
  });
});

describe.each(withCap("pcie"))("%s PCIe", (_name, path) => {
  it("XSA-131: the read-only Device Capabilities register stays unchanged", () => {
    const o = open(path);
    const devcap = capAt(o, "pcie")! + 4;
    const before = o.host.words[devcap >> 2];
    o.device.write(devcap, 4, 0xffffffff);
    o.device.write(devcap, 4, 0);
    for (let i = 0; i < 4; i++) o.device.write(devcap + i, 1, 0xff);
    expect(o.host.words[devcap >> 2]).toBe(before);
  });
});

it("there are devices for every advisory", () => {
  for (const cap of ["msi", "msix", "pm"]) expect(withCap(cap).length, cap).toBeGreaterThan(0);
});

describe("faults and logging", () => {
  const path = endpoints[0].path;

  it("surprise removal: passed bits read all-ones, emulated bits their virtual value, logged once", () => {
    const { sink, lines } = memorySink();
    const o = open(path, sink);
    o.device.write(0x04, 2, 0x0003 | (o.device.read(0x04, 2) & 0x4)); // the guest's own decode bits
    o.device.write(0x3c, 1, 0x5a);
    const ids = o.device.read(0x00, 4);
    o.host.removed = true;
    for (let i = 0; i < 100; i++) {
      expect(o.device.read(0x00, 4)).toBe(ids); // vendor/device: constant, from the attach-time snapshot (as vfio-pci's vconfig)
      expect(o.device.read(0x3c, 1)).toBe(0x5a); // interrupt line: emulated
      expect(o.device.read(0x04, 2) & 0x3).toBe(0x3);
      expect(o.device.read(0x06, 2) & 0xf900).toBe(0xf900); // status error bits: passed
      o.device.write(0x04, 2, 0x0007); // writes go nowhere, never throw
    }
    expect(lines.filter((l) => /removal/.test(l))).toHaveLength(1);
  });

  it("permissive is off by default on every device", () => {
    for (const d of endpoints) expect(open(d.path).tables.policy.permissive, d.name).toBe(false);
  });

  it("permissive, when a device file turns it on, is logged once and passes uncovered bytes through", () => {
    const o0 = open(path);
    const vendor = o0.host.words[0] & 0xffff;
    const device = o0.host.words[0] >>> 16;
    const dir = mkdtempSync(join(tmpdir(), "cfgvirt-sec-"));
    const file = join(dir, "permissive.rules");
    const id = (n: number) => n.toString(16).padStart(4, "0");
    writeFileSync(file, `device "lab" match ${id(vendor)}:${id(device)} {\n  permissive\n}\n`);
    const { sink, lines } = memorySink();
    const o = openDevice(path, { rules: [file], log: sink });
    expect(o.tables.policy.permissive).toBe(true);
    // A byte no visible rule covers: past the last visible standard capability.
    let free = -1;
    for (let off = 0xfc; off >= 0x40 && free < 0; off--) if ((o.tables.covered[off >> 2] >>> ((off & 3) * 8)) === 0) free = off;
    expect(free).toBeGreaterThan(0);
    o.device.write(free, 1, 0x5a);
    expect(hostByte(o, free)).toBe(0x5a);
    expect(o.device.read(free, 1)).toBe(0x5a);
    for (let i = 0; i < 1000; i++) o.device.write(free, 1, i & 0xff);
    expect(lines.filter((l) => /permissive/.test(l))).toHaveLength(1);
    // The same device without the file: the byte is denied.
    o0.device.write(free, 1, 0x5a);
    expect(o0.device.read(free, 1)).toBe(0);
  });

  it("a write flood over bytes no rule covers logs a bounded number of lines", () => {
    const { sink, lines } = memorySink();
    const o = open(path, sink);
    for (let off = 0; off < 4096; off++) o.device.write(off, 1, off);
    const n = lines.length;
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThanOrEqual(65);
    for (let r = 0; r < 50; r++) for (let off = 0; off < 4096; off++) o.device.write(off, 1, off);
    expect(lines.length).toBe(n);
  });

  it("DeviceLog: each key once, then at most `limit` lines and one saying so", () => {
    const { sink, lines } = memorySink();
    const log = new DeviceLog(sink, 3);
    for (let i = 0; i < 10; i++) log.once("k", "once");
    for (let i = 0; i < 10; i++) log.emit(`line ${i}`);
    expect(lines).toEqual(["once", "line 0", "line 1", "further log lines for this device are suppressed"]);
    expect(log.suppressed).toBe(7);
    expect(VirtualDevice).toBeDefined();
  });
});
