// The trapped-access semantics on a small synthetic device with rules written
// here: every policy, the odd accesses, default deny and permissive.
import { describe, expect, it } from "vitest";
import { compileRuleText } from "../../src/compile/pipeline.js";
import { SimulatedDevice } from "../../src/host/simulated.js";
import { attach } from "../../src/runtime/attach.js";
import { DeviceLog, memorySink } from "../../src/runtime/log.js";
import { VirtualDevice } from "../../src/runtime/virtual-device.js";

const RULES = `
capability test id 0xc0 {
  register header @ 0x00 u16 { [7:0] id RO pass; [15:8] next RO emulate(next) }
  register mixed @ 0x02 u16 {
    [0]     passed_rw   RW    pass
    [1]     virt_rw     RW    emulate(0)
    [2]     passed_w1c  RW1C  pass
    [3]     virt_w1c    RW1C  emulate
    [4]     hidden      RW    hide(1)
    [7:5]   ro          RO    pass
    [15:8]  - RsvdP hide
  }
  register data @ 0x04 u32 { [31:0] data RW emulate(0x12345678) }
}
`;

function device(opts: { permissive?: boolean } = {}) {
  const compiled = compileRuleText("t.rules", RULES + (opts.permissive ? 'device "p" match *:* { permissive }\n' : ""));
  const bytes = new Uint8Array(256);
  bytes.set([0x34, 0x12, 0x78, 0x56, 0x00, 0x00, 0x10, 0x00], 0); // IDs, status: capability list
  bytes[0x0e] = 0;
  bytes[0x34] = 0x40;
  bytes.set([0xc0, 0x00, 0xec, 0x5a], 0x40); // id, next, mixed = 0x5aec
  bytes[0x60] = 0xaa; // a device-specific byte no rule covers
  const host = new SimulatedDevice(bytes);
  const tables = attach(compiled, host);
  host.setBehaviour(tables.hardware);
  const log = memorySink();
  return { host, dev: new VirtualDevice(tables, host, new DeviceLog(log.sink)), log: log.lines };
}

describe("trapped accesses", () => {
  it("reads pass bits from hardware and virtual bits from the shadow", () => {
    const { dev } = device();
    // hw mixed = 0x5aec: passed_rw 0, passed_w1c 1, ro 0b111; virt_rw 0, virt_w1c from hw (1), hidden reads 1
    expect(dev.read(0x42, 2)).toBe(0x00fc);
    expect(dev.read(0x44, 4)).toBe(0x12345678);
  });

  it("writes reach hardware only through passed writable bits; RW1C clears on 1", () => {
    const { dev, host } = device();
    dev.write(0x42, 2, 0xffff);
    // passed_rw set on hw, passed_w1c cleared on hw, ro unchanged, reserved kept, virt bits not on hw
    expect(host.read32(0x10) >>> 16).toBe((0x5aec | 0x1) & ~0x4);
    // guest: passed_rw 1, virt_rw 1, passed_w1c 0 (cleared), virt_w1c 0 (cleared), hidden 1, ro 111
    expect(dev.read(0x42, 2)).toBe(0x00f3);
  });

  it("a 0 written to RW1C bits clears nothing", () => {
    const { dev, host } = device();
    dev.write(0x42, 1, 0x01);
    expect(host.read32(0x10) >>> 16).toBe(0x5aed);
    expect(dev.read(0x42, 1) & 0x0c).toBe(0x0c);
  });

  it("default deny: uncovered bytes read 0, writes are dropped and logged once", () => {
    const { dev, host, log } = device();
    expect(dev.read(0x60, 1)).toBe(0);
    dev.write(0x60, 1, 0x55);
    dev.write(0x60, 1, 0x66);
    expect(host.read32(0x18) & 0xff).toBe(0xaa);
    expect(log.filter((l) => /0x060/.test(l))).toHaveLength(1);
  });

  it("permissive lets uncovered bytes through and says so once", () => {
    const { dev, host, log } = device({ permissive: true });
    expect(dev.read(0x60, 1)).toBe(0xaa);
    dev.write(0x60, 1, 0x55);
    expect(host.read32(0x18) & 0xff).toBe(0x55);
    expect(log.filter((l) => /permissive/.test(l))).toHaveLength(1);
  });

  it("odd accesses have defined results and never throw", () => {
    const { dev } = device();
    expect(dev.read(0x44, 3)).toBe(0xffffffff);
    expect(dev.read(-1, 2)).toBe(0xffff);
    expect(dev.read(4096, 4)).toBe(0xffffffff);
    expect(dev.read(1.5, 1)).toBe(0xff);
    expect(dev.read(0x43, 2)).toBe(((dev.read(0x44, 1) << 8) | dev.read(0x43, 1)) >>> 0); // crosses a dword: split
    expect(dev.read(4095, 4)).toBe(((0xffffff << 8) | dev.read(4095, 1)) >>> 0);
    expect(dev.read(0x45, 2)).toBe(0x3456); // within a dword, unaligned
    expect(() => {
      dev.write(0x46, 4, 0xffffffff);
      dev.write(4094, 4, 0xffffffff);
      dev.write(NaN, 2, 1);
      dev.write(0x10, 8, 1);
    }).not.toThrow();
    expect(dev.read(0x44, 4)).toBe(0xffff5678);
  });
});
