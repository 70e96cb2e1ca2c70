// Port I/O BARs: guest IN/OUT inside the guest's I/O BAR, with I/O Space on,
// reach the host port at the same offset; outside it, or with I/O Space off,
// nothing answers. On the real ICH10 UHCI (I/O BAR 4), through USBCMD/USBSTS.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Machine } from "../../src/platform/machine.js";
import { haveSharedDevices, sharedDevicesDir } from "../helpers/devices.js";
import { ecamWrite, programBuses } from "./helpers.js";

const UHCI = join(sharedDevicesDir, "intel-ich10-uhci.lspci");
const IO_BASE = 0xc080; // aligned to the BAR's 128 bytes
const USBCMD = 0x00;
const USBSTS = 0x02;

function setup() {
  const m = new Machine();
  const fn = m.plug(1, UHCI, { name: "uhci" });
  programBuses(m, 1, 1);
  ecamWrite(m, 1, 0, 0, 0x20, 4, IO_BASE | 1); // BAR 4
  ecamWrite(m, 1, 0, 0, 0x04, 2, 0x0001); // I/O Space
  return { m, fn };
}

describe.skipIf(!haveSharedDevices)("port I/O to the UHCI's I/O BAR", { timeout: 60_000 }, () => {
  it("OUT to USBCMD reaches the host's register; IN reads what the host holds", () => {
    const { m, fn } = setup();
    m.ioWrite(IO_BASE + USBCMD, 2, 0x0001); // Run/Stop
    expect(fn.hostBars!.read(4, USBCMD, 2)).toBe(0x0001);
    fn.hostBars!.write(4, USBSTS, 2, 0x0020); // the controller reports HCHalted
    expect(m.ioRead(IO_BASE + USBSTS, 2)).toBe(0x0020);
    expect(m.ioRead(IO_BASE + USBCMD, 2)).toBe(0x0001);
    expect(m.ioRead(IO_BASE + USBCMD, 1)).toBe(0x01);
  });

  it("outside the BAR's range, and with I/O Space off, nothing answers and nothing reaches the host", () => {
    const { m, fn } = setup();
    const size = fn.bars.find((b) => b.index === 4)!.size;
    expect(m.ioRead(IO_BASE - 2, 2)).toBe(0xffff);
    expect(m.ioRead(IO_BASE + size, 2)).toBe(0xffff);
    m.ioWrite(IO_BASE + size, 2, 0x1234);
    ecamWrite(m, 1, 0, 0, 0x04, 2, 0x0000);
    m.ioWrite(IO_BASE + USBCMD, 2, 0x0001);
    expect(m.ioRead(IO_BASE + USBCMD, 2)).toBe(0xffff);
    expect(fn.hostBars!.read(4, USBCMD, 2)).toBe(0);
    expect(fn.hostBars!.accesses).toBe(1); // only the read above
  });

  it("configuration ports 0xCF8-0xCFF stay the configuration mechanism", () => {
    const { m } = setup();
    m.ioWrite(0xcf8, 4, 0x8000_0000);
    expect(m.ioRead(0xcfc, 2)).toBe(0x8086); // host bridge vendor ID
  });
});
