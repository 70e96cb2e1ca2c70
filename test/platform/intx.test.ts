// INTx through the emulated interrupt controller, gated by the guest's
// Command.Interrupt Disable (virtual; the platform masks the interrupt, as
// Linux vfio-pci does), with Status.Interrupt Status showing the device's
// request either way. On the real ICH10 UHCI (INTx only, pin A).
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readHardware } from "../../src/platform/capabilities.js";
import { intxLine } from "../../src/platform/intx.js";
import { Machine } from "../../src/platform/machine.js";
import { haveSharedDevices, sharedDevicesDir } from "../helpers/devices.js";
import { ecamRead, ecamWrite, programBuses } from "./helpers.js";

const UHCI = join(sharedDevicesDir, "intel-ich10-uhci.lspci");
const INTX_DISABLE = 0x400;

function setup() {
  const m = new Machine({ vcpus: 4 });
  const fn = m.plug(2, UHCI, { name: "uhci" });
  programBuses(m, 2, 1);
  const line = intxLine(2, 1);
  m.intc.program(line, { vector: 0x39, destination: 1 });
  return { m, fn, line };
}

const status = (m: Machine) => ecamRead(m, 1, 0, 0, 0x06, 2);

describe.skipIf(!haveSharedDevices)("INTx (ICH10 UHCI)", { timeout: 60_000 }, () => {
  it("reaches the vCPU the controller line names, and sets then clears Status.Interrupt Status", () => {
    const { m, fn, line } = setup();
    expect(fn.intxLine).toBe(line);
    ecamWrite(m, 1, 0, 0, 0x04, 2, 0x0005);
    m.raiseIntx(fn);
    expect(status(m) & 0x8).toBe(0x8);
    expect(m.cpus.cpus[1].apic.vectors.toArray()).toEqual([0x39]);
    expect(m.guestInterrupts.intx.toArray()).toEqual(["uhci"]);
    m.lowerIntx(fn);
    expect(status(m) & 0x8).toBe(0);
    expect(m.cpus.redirections).toBe(0);
  });

  it("is blocked while the guest has set Interrupt Disable; Interrupt Status still shows it; clearing the bit delivers", () => {
    const { m, fn } = setup();
    ecamWrite(m, 1, 0, 0, 0x04, 2, 0x0005 | INTX_DISABLE);
    m.raiseIntx(fn);
    expect(m.cpus.deliveries()).toEqual([0, 0, 0, 0]);
    expect(m.guestInterrupts.intx.length).toBe(0);
    expect(status(m) & 0x8).toBe(0x8);
    // The guest's bit is virtual: the host function's own Interrupt Disable stays the platform's.
    expect(readHardware(fn.host, 0x04, 2) & INTX_DISABLE).toBe(0);
    ecamWrite(m, 1, 0, 0, 0x04, 2, 0x0005);
    expect(m.cpus.deliveries()).toEqual([0, 1, 0, 0]);
  });

  it("a level line still high at EOI delivers again; a released one does not", () => {
    const { m, fn, line } = setup();
    ecamWrite(m, 1, 0, 0, 0x04, 2, 0x0005);
    m.raiseIntx(fn);
    m.intc.eoi(line);
    expect(m.cpus.cpus[1].apic.delivered).toBe(2);
    m.lowerIntx(fn);
    m.intc.eoi(line);
    expect(m.cpus.cpus[1].apic.delivered).toBe(2);
  });

  it("with MSI off, a device interrupt is INTx and honours Interrupt Disable too", () => {
    const { m, fn } = setup();
    ecamWrite(m, 1, 0, 0, 0x04, 2, 0x0005 | INTX_DISABLE);
    m.signal(fn, 0);
    expect(m.guestInterrupts.intx.length).toBe(0);
    expect(status(m) & 0x8).toBe(0x8);
  });
});
