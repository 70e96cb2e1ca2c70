// One test per capability of the rule library: its documented default (shown
// or hidden), observed through what a guest reads, plus the policy choices
// each rule file explains.
import { describe, expect, it } from "vitest";
import { openSynth, deviceFileFor, stdlib, type SynthCap } from "./synth.js";

/** Every capability the library describes, with its default. A new layout must be added here. */
const DEFAULTS: Record<string, { kind: "capability" | "extended"; id: number; shown: boolean; bytes?: Record<number, number> }> = {
  pm: { kind: "capability", id: 0x01, shown: true },
  vpd: { kind: "capability", id: 0x03, shown: true },
  msi: { kind: "capability", id: 0x05, shown: true },
  vendor_specific: { kind: "capability", id: 0x09, shown: true, bytes: { 2: 0x10 } },
  debug_port: { kind: "capability", id: 0x0a, shown: false },
  ssvid: { kind: "capability", id: 0x0d, shown: true },
  pcie: { kind: "capability", id: 0x10, shown: true, bytes: { 2: 0x02 } },
  msix: { kind: "capability", id: 0x11, shown: true },
  af: { kind: "capability", id: 0x13, shown: true, bytes: { 2: 0x06 } },
  aer: { kind: "extended", id: 0x0001, shown: true },
  vc: { kind: "extended", id: 0x0002, shown: true },
  dsn: { kind: "extended", id: 0x0003, shown: false },
  power_budgeting: { kind: "extended", id: 0x0004, shown: true },
  vsec: { kind: "extended", id: 0x000b, shown: false, bytes: { 7: 0x01 } },
  acs: { kind: "extended", id: 0x000d, shown: true },
  ari: { kind: "extended", id: 0x000e, shown: true },
  ats: { kind: "extended", id: 0x000f, shown: true },
  sriov: { kind: "extended", id: 0x0010, shown: false },
  multicast: { kind: "extended", id: 0x0012, shown: false },
  pri: { kind: "extended", id: 0x0013, shown: false },
  rebar: { kind: "extended", id: 0x0015, shown: false, bytes: { 8: 0x20 } },
  ltr: { kind: "extended", id: 0x0018, shown: true },
  secondary_pcie: { kind: "extended", id: 0x0019, shown: true },
  pasid: { kind: "extended", id: 0x001b, shown: false },
  l1ss: { kind: "extended", id: 0x001e, shown: true },
  dvsec: { kind: "extended", id: 0x0023, shown: false, bytes: { 7: 0x01 } },
  dlf: { kind: "extended", id: 0x0025, shown: true },
  phy16: { kind: "extended", id: 0x0026, shown: true },
  lane_margining: { kind: "extended", id: 0x0027, shown: false },
  phy32: { kind: "extended", id: 0x002a, shown: true },
};

// Markers around the capability under test, so it sits in the middle of its chain.
const STD_BEFORE = 0x40, STD_AT = 0x60, STD_AFTER = 0xc0;
const EXT_BEFORE = 0x100, EXT_AT = 0x200, EXT_AFTER = 0x300;
/** A pattern in the capability's body (past the header), so hidden bytes that read 0 prove something. */
const pattern = (from: number, to: number) => Object.fromEntries(Array.from({ length: to - from }, (_, i) => [from + i, 0xa0 + i]));

function chainOf(read: (o: number, s: number) => number, kind: "capability" | "extended"): number[] {
  const out: number[] = [];
  if (kind === "capability") {
    for (let p = read(0x34, 1); p !== 0 && out.length < 48; p = read(p + 1, 1)) out.push(p);
  } else {
    for (let p = 0x100; p !== 0 && out.length < 960; p = read(p, 4) >>> 20) if ((read(p, 4) & 0xffff) !== 0) out.push(p);
  }
  return out;
}

describe("the defaults table covers the library", () => {
  it("names every capability layout, with the default the rule file declares", () => {
    const templates = stdlib().templates.filter((t) => t.kind !== "header");
    expect(Object.keys(DEFAULTS).sort()).toEqual(templates.map((t) => t.name).sort());
    for (const t of templates) {
      expect([t.name, t.kind, t.id, t.hiddenReason === undefined]).toEqual([t.name, DEFAULTS[t.name].kind, DEFAULTS[t.name].id, DEFAULTS[t.name].shown]);
      // Every layout cites its specification.
      expect(t.spec?.trim(), t.name).toBeTruthy();
    }
  });
});

describe("each capability's default, as the guest reads it", () => {
  it.each(Object.entries(DEFAULTS))("%s", (name, d) => {
    const std = d.kind === "capability";
    const [before, at, after] = std ? [STD_BEFORE, STD_AT, STD_AFTER] : [EXT_BEFORE, EXT_AT, EXT_AFTER];
    const markers: [number, number] = std ? [0x01, 0x11] : [0x0018, 0x0018];
    const body = { ...pattern(std ? 2 : 4, 0x20), ...(d.bytes ?? {}) };
    const caps: SynthCap[] = [
      { kind: d.kind, id: markers[0], offset: before },
      { kind: d.kind, id: d.id, offset: at, bytes: d.shown ? d.bytes : body },
      { kind: d.kind, id: markers[1], offset: after },
    ];
    const { device, tables } = openSynth(caps);
    const read = (o: number, s: number) => device.read(o, s);
    const placed = tables.placed.find((p) => p.offset === at)!;
    expect(placed.template.name).toBe(name);
    expect(tables.unknown).toEqual([]);
    if (d.shown) {
      expect(placed.visible).toBe(true);
      expect(chainOf(read, d.kind)).toEqual([before, at, after]);
      expect(std ? read(at, 1) : read(at, 4) & 0xffff).toBe(d.id);
    } else {
      expect(placed.visible).toBe(false);
      expect(placed.reason).toMatch(/hidden by default: ./);
      // The chain skips it and every byte of it reads 0.
      expect(chainOf(read, d.kind)).toEqual([before, after]);
      expect(std ? read(before + 1, 1) : read(before, 4) >>> 20).toBe(after);
      for (let o = at; o < at + Math.max(placed.size, 0x20); o += 4) expect(read(o, 4), `0x${o.toString(16)}`).toBe(0);
    }
  });

  it("a hidden extended capability at the head leaves an ID-0 header linking on", () => {
    const { device } = openSynth([
      { kind: "extended", id: 0x0003, offset: 0x100, bytes: pattern(4, 12) },
      { kind: "extended", id: 0x0001, offset: 0x140 },
    ]);
    expect(device.read(0x100, 4)).toBe(0x140 << 20);
    expect(device.read(0x104, 4)).toBe(0);
    expect(device.read(0x140, 4) & 0xffff).toBe(0x0001);
  });
});

describe("policies the rule files explain", () => {
  it("dsn: hidden by default; a device file may allow it, or allow and scrub it", () => {
    const caps: SynthCap[] = [{ kind: "extended", id: 0x0003, offset: 0x100, bytes: { 4: 0xe0, 5: 0x46, 6: 0x2b, 7: 0xff, 8: 0xff, 9: 0x21, 10: 0x1b, 11: 0x00 } }];
    expect(openSynth(caps).device.read(0x104, 4)).toBe(0);
    const allowed = openSynth(caps, { deviceFile: deviceFileFor("allow dsn") }).device;
    expect([allowed.read(0x104, 4), allowed.read(0x108, 4)]).toEqual([0xff2b46e0, 0x001b21ff]);
    const scrubbed = openSynth(caps, {
      deviceFile: deviceFileFor("allow dsn\n override dsn.serial_lo.serial emulate(0x12345678)\n override dsn.serial_hi.serial emulate(0)"),
    }).device;
    expect([scrubbed.read(0x104, 4), scrubbed.read(0x108, 4)]).toEqual([0x12345678, 0]);
  });

  it("sriov, when allowed: VF BARs read 0, VF Enable and NumVFs are virtual", () => {
    const caps: SynthCap[] = [
      { kind: "extended", id: 0x0010, offset: 0x100, bytes: { 8: 0x09, 0x0e: 8, 0x10: 1, 0x14: 0x80, 0x16: 2, 0x1a: 0xca, 0x1b: 0x10, 0x24: 0x04, 0x25: 0x00, 0x26: 0x84, 0x27: 0xd2 } },
    ];
    const { device, host } = openSynth(caps, { deviceFile: deviceFileFor("allow sriov") });
    expect(device.read(0x100 + 0x24, 4)).toBe(0); // VF BAR0: host address hidden
    expect(device.read(0x100 + 0x08, 2)).toBe(0); // VF Enable, VF MSE: look disabled
    expect(device.read(0x100 + 0x0e, 2)).toBe(8); // TotalVFs: the device's
    expect(device.read(0x100 + 0x1a, 2)).toBe(0x10ca); // VF Device ID
    device.write(0x100 + 0x08, 2, 0x0009);
    device.write(0x100 + 0x10, 2, 4);
    expect(device.read(0x100 + 0x08, 2)).toBe(0x0009);
    expect(host.read32((0x100 + 0x08) >> 2) & 0xffff).toBe(0x0009); // host unchanged (still its own value)
    expect(host.read32((0x100 + 0x10) >> 2) & 0xffff).toBe(1);
  });

  it("pcie: Device Control is virtual but for Relaxed Ordering, and Initiate FLR is trapped on endpoints", () => {
    const hooks: string[] = [];
    // Endpoint, version 2, FLR capable.
    const caps: SynthCap[] = [{ kind: "capability", id: 0x10, offset: 0x40, bytes: { 2: 0x02, 7: 0x10, 8: 0x10, 9: 0x28 } }];
    const { device, host } = openSynth(caps, { onHook: (_d, h) => hooks.push(h) });
    expect(device.read(0x48, 2)).toBe(0x2810);
    device.write(0x48, 2, 0x5007); // MRRS 512 -> 4096, error reporting on, Relaxed Ordering off
    expect(device.read(0x48, 2)).toBe(0x5007);
    expect(host.read32(0x48 >> 2) & 0xffff).toBe(0x2800);
    device.write(0x48, 2, 0x8000);
    expect(hooks).toContain("flr");
  });

  it("pcie: bit 15 of Device Control is reserved on a Root Port, and the Root registers are there", () => {
    // Root Port (type 4), version 2; the host has bit 15 set (it cannot, but
    // a rule must not show it) and Root Capabilities CRS visibility.
    const caps: SynthCap[] = [{ kind: "capability", id: 0x10, offset: 0x40, bytes: { 2: 0x42, 9: 0x80, 0x1e: 0x01, 0x20: 0x34, 0x21: 0x12 } }];
    const { device } = openSynth(caps);
    expect(device.read(0x48, 2) & 0x8000).toBe(0);
    expect(device.read(0x5e, 2)).toBe(1);
    expect(device.read(0x60, 2)).toBe(0x1234);
  });

  it("pcie: a version 1 endpoint has no Slot or Root registers and nothing past 14h", () => {
    const caps: SynthCap[] = [{ kind: "capability", id: 0x10, offset: 0x40, bytes: { 2: 0x01, 0x0c: 0x41, 0x14: 0xff, 0x1c: 0xff, 0x24: 0xff } }];
    const { device, tables } = openSynth(caps);
    expect(device.read(0x4c, 1)).toBe(0x41); // Link Capabilities
    for (const o of [0x54, 0x5c, 0x64]) expect(device.read(o, 4)).toBe(0);
    expect(tables.placed.find((p) => p.template.name === "pcie")!.visible).toBe(true);
  });

  it("vc: the guest sees VC0 only", () => {
    // Extended VC Count 1, Low Priority 1, VC arbitration table at 30h.
    const caps: SynthCap[] = [{ kind: "extended", id: 0x0002, offset: 0x100, bytes: { 4: 0x11, 0x0b: 0x03, 0x17: 0x80 } }];
    const { device } = openSynth(caps);
    expect(device.read(0x104, 4) & 0x77).toBe(0);
    expect(device.read(0x108, 4) >>> 24).toBe(0);
    expect(device.read(0x114, 4) >>> 31).toBe(1); // VC0 enabled: the hardware's
  });

  it("ari: Next Function Number reads 0", () => {
    const { device } = openSynth([{ kind: "extended", id: 0x000e, offset: 0x100, bytes: { 5: 0x02 } }]);
    expect(device.read(0x105, 1)).toBe(0);
  });

  it("ats: Enable is virtual", () => {
    const { device, host } = openSynth([{ kind: "extended", id: 0x000f, offset: 0x100 }]);
    device.write(0x106, 2, 0x8000);
    expect(device.read(0x106, 2)).toBe(0x8000);
    expect(host.read32(0x104 >> 2) >>> 16).toBe(0);
  });

  it("acs: control writes stay virtual, so the host's isolation holds", () => {
    const { device, host } = openSynth([{ kind: "extended", id: 0x000d, offset: 0x100, bytes: { 4: 0x1f, 6: 0x1d } }]);
    device.write(0x106, 2, 0);
    expect(device.read(0x106, 2)).toBe(0);
    expect(host.read32(0x104 >> 2) >>> 16).toBe(0x1d);
  });

  it("power_budgeting: Data Select reaches the hardware", () => {
    const { device, host } = openSynth([{ kind: "extended", id: 0x0004, offset: 0x100 }]);
    device.write(0x104, 1, 3);
    expect(host.read32(0x104 >> 2) & 0xff).toBe(3);
  });

  it("aer: status clears on the hardware, masks stay virtual", () => {
    const { device, host } = openSynth([{ kind: "extended", id: 0x0001, offset: 0x100, bytes: { 6: 0x10, 0x0a: 0x40 } }]);
    expect(device.read(0x104, 4)).toBe(0x00100000); // Unsupported Request detected
    device.write(0x104, 4, 0x00100000);
    expect(host.read32(0x104 >> 2)).toBe(0);
    device.write(0x108, 4, 0);
    expect(host.read32(0x108 >> 2)).toBe(0x00400000);
  });

  it("vendor_specific and vsec: a device file allows them read-only", () => {
    const caps: SynthCap[] = [
      { kind: "capability", id: 0x09, offset: 0x48, bytes: { 2: 0x08, 3: 0x11, 4: 0x22, 5: 0x33, 6: 0x44, 7: 0x55 } },
      { kind: "extended", id: 0x000b, offset: 0x100, bytes: { 4: 0x01, 6: 0x10, 7: 0x01, 8: 0x77, 12: 0x88 } },
    ];
    const { device, host } = openSynth(caps, { deviceFile: deviceFileFor("allow vendor_specific, vsec") });
    expect(device.read(0x48, 4)).toBe(0x11080009);
    expect(device.read(0x4c, 4)).toBe(0x55443322);
    expect(device.read(0x108, 4)).toBe(0x77);
    expect(device.read(0x10c, 4)).toBe(0x88);
    device.write(0x4c, 4, 0);
    device.write(0x108, 4, 0);
    expect([host.read32(0x4c >> 2), host.read32(0x108 >> 2)]).toEqual([0x55443322, 0x77]);
  });
});
