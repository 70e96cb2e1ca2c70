// Hooks: the VPD handshake served from the device model, function-level reset,
// and the platform notifications for MSI, MSI-X, power state and BARs.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { HOOK_NAMES } from "../../src/compile/vocabulary.js";
import { openDevice } from "../../src/open-device.js";
import { standardHooks } from "../../src/runtime/hooks.js";
import { VirtualDevice } from "../../src/runtime/virtual-device.js";

const IMAGE = `
image "hooks" {
  vpd "\\x82cfgvirt VPD test string"
  bar 0 size 16K
  header type0 { vendor_id = 0x1af4; device_id = 0x1001; command = 0x0006; bar0 = 0xfe000000 }
  capability pm @ 0x40 { pmc = 0x0003 }
  capability msi @ 0x50 { control.addr64 = 1 }
  capability msix @ 0x70 { control.table_size = 3 }
  capability vpd @ 0x80 { }
  capability pcie @ 0x90 { flags.version = 2; device_capabilities = 0x10000000 }
}
`;
const dir = mkdtempSync(join(tmpdir(), "cfgvirt-hooks-"));
const file = join(dir, "hooks.rules");
writeFileSync(file, IMAGE);

describe("VPD handshake", () => {
  it("a read request with F=0 completes with F=1 and the device model's data", () => {
    const { device, host } = openDevice(file);
    const vpd = new TextEncoder().encode("\\x82cfgvirt VPD test string");
    for (const addr of [0, 4, 8]) {
      device.write(0x82, 2, addr); // F = 0: read request
      const status = device.read(0x82, 2);
      expect(status & 0x8000).toBe(0x8000);
      expect(status & 0x7fff).toBe(addr);
      const want = (vpd[addr] | (vpd[addr + 1] << 8) | (vpd[addr + 2] << 16) | (vpd[addr + 3] << 24)) >>> 0;
      expect(device.read(0x84, 4)).toBe(want);
    }
    expect(host.writes).toBe(0);
  });

  it("reads past the VPD image return 0xff; a write request stores the data in the device's VPD, never in config space", () => {
    const { device, host } = openDevice(file);
    device.write(0x82, 2, 0x7ff0);
    expect(device.read(0x84, 4)).toBe(0xffffffff);
    device.write(0x84, 4, 0x12345678);
    device.write(0x82, 2, 0x8000 | 0x10); // F = 1: write request
    expect(device.read(0x82, 2) & 0x8000).toBe(0);
    device.write(0x82, 2, 0x10); // read it back
    expect(device.read(0x84, 4)).toBe(0x12345678);
    expect(host.writes).toBe(0);
  });

  it("a write request past the end of the VPD does not complete (F stays 1), as under vfio", () => {
    const { device } = openDevice(file);
    device.write(0x84, 4, 0x12345678);
    device.write(0x82, 2, 0x8000 | 0x7ff0);
    expect(device.read(0x82, 2)).toBe(0xfff0);
  });
});

describe("platform notifications", () => {
  it("MSI enable, MSI-X control, power state and BAR writes are reported; none reach the host", () => {
    const events: string[] = [];
    const { device, host } = openDevice(file, {
      listener: {
        msiEnable: (_d, dword, on) => events.push(`msi ${dword} ${on}`),
        msixControl: (_d, _w, on, masked) => events.push(`msix ${on} ${masked}`),
        powerState: (_d, _w, state) => events.push(`pm D${state}`),
        barWritten: (_d, dword) => events.push(`bar ${dword}`),
      },
    });
    const before = host.bytes();
    device.write(0x52, 2, 0x0001);
    device.write(0x72, 2, 0xc000);
    device.write(0x44, 2, 0x0003);
    device.write(0x10, 4, 0xffffffff);
    device.write(0x50, 1, 0); // the MSI header byte: not the enable bit
    expect(events).toEqual(["msi 20 true", "msix true true", "pm D3", "bar 4"]);
    expect(Array.from(host.bytes())).toEqual(Array.from(before));
    expect(device.read(0x44, 2) & 3).toBe(3);
  });

  it("Initiate FLR resets the virtual state and tells the platform", () => {
    let resets = 0;
    const { device } = openDevice(file, { listener: { functionReset: () => resets++ } });
    const fresh = Array.from({ length: 64 }, (_, i) => device.read(i * 4, 4));
    device.write(0x04, 2, 0x0004); // Memory Space off (virtual); Bus Master (passed) kept as it was
    device.write(0x10, 4, 0xffffffff);
    device.write(0x54, 4, 0xfee00000);
    expect(device.read(0x04, 2) & 0x2).toBe(0);
    device.write(0x98, 2, 0x8000);
    expect(resets).toBe(1);
    expect(Array.from({ length: 64 }, (_, i) => device.read(i * 4, 4))).toEqual(fresh);
  });

  it("implements every hook the language names", () => {
    const { tables, host } = openDevice(file);
    const dev = new VirtualDevice(tables, host);
    const hooks = standardHooks();
    for (const name of HOOK_NAMES) expect(() => hooks(dev, name, 0, -1, -1)).not.toThrow();
    expect(HOOK_NAMES).toEqual(["bar", "rom", "msi_enable", "msix_control", "power_state", "vpd_address", "flr", "secondary_bus_reset"]);
  });
});

describe("which hooks the runtime calls", () => {
  it("standardHooks says it acts on VPD and FLR, and on the others only when the listener has their method", () => {
    expect(standardHooks().handles).toEqual(["vpd_address", "flr"]);
    expect(standardHooks({ listener: { barWritten: () => {}, powerState: () => {} } }).handles).toEqual(["vpd_address", "flr", "bar", "rom", "power_state"]);
  });

  it("a handler is not called for hooks outside its `handles`; one without `handles` gets them all", () => {
    const { tables, host } = openDevice(file);
    const calls: string[] = [];
    const only = Object.assign((_d: VirtualDevice, hook: string) => void calls.push(`only:${hook}`), { handles: ["msi_enable" as const] });
    const all = (_d: VirtualDevice, hook: string) => void calls.push(`all:${hook}`);
    for (const onHook of [only, all]) {
      const dev = new VirtualDevice(tables, host, undefined, onHook);
      dev.write(0x10, 4, 0xffffffff); // BAR 0: the bar hook
      dev.write(0x52, 2, 0x0001); // MSI Enable
    }
    expect(calls).toEqual(["only:msi_enable", "all:bar", "all:msi_enable"]);
  });

  it("a handler gets the trapped mask as an unsigned 32-bit number (0xffff0000, not -65536)", () => {
    const { tables, host } = openDevice(file);
    const got: number[] = [];
    const dev = new VirtualDevice(tables, host, undefined, (_d, hook, _dword, _written, trapped) => void (hook === "vpd_address" && got.push(trapped)));
    dev.write(0x82, 2, 0);
    expect(got).toEqual([0xffff0000]);
  });

  it("in a pool, each function's handler is called only for the hooks it acts on", async () => {
    const { DeviceStates } = await import("../../src/runtime/virtual-device.js");
    const { tables, host } = openDevice(file);
    const states = new DeviceStates(tables, 2);
    const calls: string[] = [];
    const bars = Object.assign((_d: VirtualDevice, hook: string) => void calls.push(`0:${hook}`), { handles: ["bar" as const] });
    const none = Object.assign((_d: VirtualDevice, hook: string) => void calls.push(`1:${hook}`), { handles: [] });
    const a = new VirtualDevice(tables, host, undefined, bars, states);
    const b = new VirtualDevice(tables, host, undefined, none, states);
    a.write(0x52, 2, 0x0001);
    b.write(0x52, 2, 0x0001);
    a.write(0x10, 4, 0xffffffff);
    b.write(0x10, 4, 0xffffffff);
    expect(calls).toEqual(["0:bar"]);
  });
});
