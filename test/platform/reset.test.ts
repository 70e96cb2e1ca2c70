// Resets that reach the device: FLR (only where advertised), D3hot -> D0
// without No_Soft_Reset, and Secondary Bus Reset quiesce the host function,
// reset it, restore what the platform owns, and give the guest reset values.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { exampleDevices } from "../../src/open-device.js";
import { hostBarAddress } from "../../src/platform/bar-map.js";
import { readHardware } from "../../src/platform/capabilities.js";
import { Machine } from "../../src/platform/machine.js";
import type { PassThroughFunction } from "../../src/platform/passthrough-function.js";
import { haveSharedDevices, sharedDevicesDir } from "../helpers/devices.js";
import { cf8Write, ecamRead, ecamWrite, programBuses } from "./helpers.js";

const NIC_82576 = join(sharedDevicesDir, "intel-82576-nic.lspci"); // PCIe FLReset+
const MYRI10G = join(sharedDevicesDir, "myricom-myri10g-nic.lspci"); // PCIe FLReset-
const UHCI = join(sharedDevicesDir, "intel-ich10-uhci.lspci"); // AF with FLR
const [NIC] = exampleDevices(); // PM with No_Soft_Reset = 0

const memBars = (fn: PassThroughFunction) => fn.bars.filter((b) => (b.kind === "mem32" || b.kind === "mem64" || b.kind === "io") && b.size > 0);

function setup(path: string) {
  const m = new Machine();
  const fn = m.plug(1, path, { name: "dev" });
  programBuses(m, 1, 1);
  // The guest assigns BAR 0 and turns on decoding and bus mastering, as a driver would.
  ecamWrite(m, 1, 0, 0, 0x10, 4, 0xc000_0000);
  ecamWrite(m, 1, 0, 0, 0x04, 2, 0x0007);
  return { m, fn };
}

function expectResetReachedDevice(m: Machine, fn: PassThroughFunction, hostBars: number[]) {
  expect(readHardware(fn.host, 0x04, 2) & 0x4).toBe(0); // Bus Master off on the host
  expect(memBars(fn).map((b) => hostBarAddress(fn, b))).toEqual(hostBars); // host BARs restored
  for (const b of memBars(fn)) {
    // The guest reads reset values: address 0, type bits kept; never host addresses.
    const v = ecamRead(m, 1, 0, 0, 0x10 + 4 * b.index, 4);
    expect(v >>> 0).toBe((fn.host.read32(4 + b.index) & b.flags[0]) >>> 0);
  }
  expect(ecamRead(m, 1, 0, 0, 0x04, 2) & 0x7).toBe(0);
  expect(m.barMap.list(fn)).toHaveLength(0);
}

describe.skipIf(!haveSharedDevices)("resets that reach the device (real dumps)", { timeout: 60_000 }, () => {
  it("after FLR the host function has Bus Master off, its BARs restored, and the guest reads reset values", () => {
    const { m, fn } = setup(NIC_82576);
    const hostBars = memBars(fn).map((b) => hostBarAddress(fn, b));
    fn.hostBars!.write(0, 0x10, 4, 0xabcd);
    expect(readHardware(fn.host, 0x04, 2) & 0x4).toBe(0x4);
    const control = ecamRead(m, 1, 0, 0, fn.pcie! + 8, 2);
    ecamWrite(m, 1, 0, 0, fn.pcie! + 8, 2, control | 0x8000);
    expect(m.resetEvents.toArray()).toEqual([{ fn: "dev", kind: "flr" }]);
    expectResetReachedDevice(m, fn, hostBars);
    expect(fn.hostBars!.read(0, 0x10, 4)).toBe(0); // the device's registers reset
    // Decoding the platform owns is back, so the guest can use the BARs once it reassigns them.
    expect(readHardware(fn.host, 0x04, 2) & 0x3).toBe(0x3);
  });

  it("a device without FLR capability ignores Initiate FLR", () => {
    const { m, fn } = setup(MYRI10G);
    expect(readHardware(fn.host, fn.pcie! + 4, 4) & (1 << 28)).toBe(0);
    ecamWrite(m, 1, 0, 0, 0x0c, 1, 0x10); // cache line size (virtual): must survive
    const control = ecamRead(m, 1, 0, 0, fn.pcie! + 8, 2);
    ecamWrite(m, 1, 0, 0, fn.pcie! + 8, 2, control | 0x8000);
    expect(m.resetEvents.total).toBe(0);
    expect(ecamRead(m, 1, 0, 0, 0x0c, 1)).toBe(0x10);
    expect((ecamRead(m, 1, 0, 0, 0x10, 4) & 0xfffffff0) >>> 0).toBe(0xc000_0000);
    expect(readHardware(fn.host, 0x04, 2) & 0x4).toBe(0x4);
  });

  it("AF FLR (conventional PCI) reaches the device where AF advertises it", () => {
    const { m, fn } = setup(UHCI);
    ecamWrite(m, 1, 0, 0, 0x20, 4, 0xc001); // BAR 4 (I/O)
    ecamWrite(m, 1, 0, 0, 0x04, 2, 0x0005);
    const hostBars = memBars(fn).map((b) => hostBarAddress(fn, b));
    const af = 0x50;
    expect(ecamRead(m, 1, 0, 0, af + 3, 1) & 0x2).toBe(0x2);
    ecamWrite(m, 1, 0, 0, af + 4, 1, 1);
    expect(m.resetEvents.at(-1)).toEqual({ fn: "dev", kind: "flr" });
    expectResetReachedDevice(m, fn, hostBars);
  });

  it("Secondary Bus Reset on the Root Port resets the function below, host included", () => {
    const { m, fn } = setup(NIC_82576);
    const hostBars = memBars(fn).map((b) => hostBarAddress(fn, b));
    cf8Write(m, 0, 1, 0, 0x3e, 2, 0x40);
    expect(m.resetEvents.at(-1)).toEqual({ fn: "dev", kind: "sbr" });
    expectResetReachedDevice(m, fn, hostBars);
  });
});

describe("D3hot -> D0 without No_Soft_Reset (example NIC)", { timeout: 60_000 }, () => {
  it("resets the host function too, and the guest reads reset values", () => {
    const { m, fn } = setup(NIC);
    const hostBars = memBars(fn).map((b) => hostBarAddress(fn, b));
    ecamWrite(m, 1, 0, 0, fn.pm! + 4, 2, 3);
    // In D3hot the function answers configuration requests only.
    expect(fn.hostBars!.read(0, 0, 4)).toBe(0xffffffff);
    ecamWrite(m, 1, 0, 0, fn.pm! + 4, 2, 0);
    expect(m.resetEvents.toArray()).toEqual([{ fn: "dev", kind: "pm" }]);
    expectResetReachedDevice(m, fn, hostBars);
  });
});
