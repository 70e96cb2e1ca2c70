// The VPD capability's shape: the address/flag register is one trapped
// register (the handshake hook), the data register a virtual one, and neither
// reaches the hardware's VPD state machine.
import { describe, expect, it } from "vitest";
import { HOOK_NAMES } from "../../src/compile/vocabulary.js";
import { openSynth, stdlib } from "./synth.js";
import { basename } from "node:path";
import { openDevice } from "../../src/open-device.js";
import { haveSharedDevices, sharedDumps } from "../helpers/devices.js";

describe("the vpd layout", () => {
  const t = stdlib().templatesByName.get("vpd")!;
  const field = (reg: string, name: string) => t.fields.find((f) => f.register === reg && f.field === name)!;

  it("is capability 03h, 8 bytes, shown by default", () => {
    expect([t.kind, t.id, t.hiddenReason]).toEqual(["capability", 0x03, undefined]);
    const placed = openSynth([{ kind: "capability", id: 0x03, offset: 0x40 }]).tables.placed.find((p) => p.template.name === "vpd")!;
    expect([placed.offset, placed.size, placed.visible]).toEqual([0x40, 8, true]);
  });

  it("has address [14:0] and flag [15] at 02h, both RW and trapped by vpd_address starting at 0", () => {
    for (const [name, hi, lo] of [["address", 14, 0], ["flag", 15, 15]] as const) {
      const f = field("address", name);
      expect([f.offset, f.width, f.hi, f.lo, f.attribute, f.policy, f.detail]).toEqual([0x02, 16, hi, lo, "RW", "trap", "vpd_address, 0x0"]);
    }
  });

  it("has a 32-bit data register at 04h, RW and virtual from 0", () => {
    const f = field("data", "data");
    expect([f.offset, f.width, f.hi, f.lo, f.attribute, f.policy, f.detail]).toEqual([0x04, 32, 31, 0, "RW", "emulate", "0x0"]);
  });

  it("routes guest writes of the address to the hook and never to the hardware", () => {
    const seen: { hook: string; dword: number }[] = [];
    // The host's VPD registers hold a stale transfer: address 0x7c, F set, data.
    const { device, host, tables } = openSynth(
      [{ kind: "capability", id: 0x03, offset: 0x40, bytes: { 2: 0x7c, 3: 0x80, 4: 0x82, 5: 0x10, 6: 0x00, 7: 0x41 } }],
      { onHook: (_d, hook, dword) => seen.push({ hook, dword }) },
    );
    expect(tables.hook[0x40 >> 2]).toBe(HOOK_NAMES.indexOf("vpd_address") + 1);
    expect(tables.hook[0x44 >> 2]).toBe(0);
    // The guest starts from a clean handshake, not the host's.
    expect(device.read(0x42, 2)).toBe(0);
    expect(device.read(0x44, 4)).toBe(0);
    device.write(0x42, 2, 0x0010);
    expect(seen).toEqual([{ hook: "vpd_address", dword: 0x40 >> 2 }]);
    expect(device.read(0x42, 2)).toBe(0x0010);
    expect(host.read32(0x40 >> 2) >>> 16).toBe(0x807c);
    device.write(0x44, 4, 0xdeadbeef);
    expect(host.read32(0x44 >> 2)).toBe(0x41001082);
  });
});

describe.skipIf(!haveSharedDevices)("VPD on the real devices that carry it", () => {
  const withVpd = sharedDumps().filter((p) => openDevice(p, { allowBridge: true }).tables.placed.some((l) => l.template.name === "vpd"));
  it("is carried by at least one dump", () => expect(withVpd.length).toBeGreaterThan(0));
  it.each(withVpd.map((p) => [basename(p), p]))("%s shows VPD with a clean handshake", (_n, path) => {
    const { device, tables } = openDevice(path);
    const at = tables.placed.find((l) => l.template.name === "vpd")!;
    expect(at.visible).toBe(true);
    expect(device.read(at.offset, 1)).toBe(0x03);
    expect(device.read(at.offset + 2, 2)).toBe(0);
  });
});
