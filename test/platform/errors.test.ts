// Error reporting: a host-side error is visible to the guest as the rules pass
// it, and reaches the guest through its Root Port (Root Error Status, Error
// Source, Secondary Status, the port's interrupt) as the guest configured it.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readHardware } from "../../src/platform/capabilities.js";
import { Machine } from "../../src/platform/machine.js";
import { haveSharedDevices, sharedDevicesDir } from "../helpers/devices.js";
import { AER_ENDPOINT, ecamRead, ecamWrite, imageFile, programBuses } from "./helpers.js";

const ENDPOINT = imageFile("endpoint", AER_ENDPOINT);
const FN_PCIE = 0x80;
const FN_AER = 0x100;
const PORT_AER = 0x100;
const PORT_MSI = 0x80;

function setup(opts: { reporting?: boolean; rootCommand?: number } = {}) {
  const m = new Machine();
  const fn = m.plug(1, ENDPOINT, { name: "ep" });
  programBuses(m, 1, 3);
  if (opts.reporting ?? true) ecamWrite(m, 3, 0, 0, FN_PCIE + 8, 2, 0x000f); // Device Control: all four reporting enables
  ecamWrite(m, 0, 1, 0, PORT_MSI + 4, 4, 0xfee0_6000);
  ecamWrite(m, 0, 1, 0, PORT_MSI + 0x0c, 2, 0x4030);
  ecamWrite(m, 0, 1, 0, PORT_MSI + 2, 2, 1);
  ecamWrite(m, 0, 1, 0, PORT_AER + 0x2c, 4, opts.rootCommand ?? 0x7);
  return { m, fn };
}

const rootStatus = (m: Machine) => ecamRead(m, 0, 1, 0, PORT_AER + 0x30, 4) & 0x7f;
const errorSource = (m: Machine) => ecamRead(m, 0, 1, 0, PORT_AER + 0x34, 4);
const secondaryStatus = (m: Machine) => ecamRead(m, 0, 1, 0, 0x1e, 2);

describe("host-side errors, seen by the guest", { timeout: 60_000 }, () => {
  it("AER and Device Status bits the hardware sets are visible to the guest (pass)", () => {
    const { m, fn } = setup();
    m.hostError(fn, { kind: "uncorrectable", bit: 14 }); // Completion Timeout: non-fatal by severity
    expect(ecamRead(m, 3, 0, 0, FN_AER + 4, 4)).toBe(1 << 14);
    expect(ecamRead(m, 3, 0, 0, FN_PCIE + 0x0a, 2) & 0x7).toBe(0x2);
    m.hostError(fn, { kind: "correctable", bit: 6 });
    expect(ecamRead(m, 3, 0, 0, FN_AER + 0x10, 4)).toBe(1 << 6);
    expect(ecamRead(m, 3, 0, 0, FN_PCIE + 0x0a, 2) & 0x7).toBe(0x3);
  });

  it("the guest clears what it writes 1 to, in the hardware, and nothing else", () => {
    const { m, fn } = setup();
    m.hostError(fn, { kind: "uncorrectable", bit: 14 });
    m.hostError(fn, { kind: "uncorrectable", bit: 12 });
    ecamWrite(m, 3, 0, 0, FN_AER + 4, 4, 1 << 14);
    expect(readHardware(fn.host, FN_AER + 4, 4)).toBe(1 << 12);
    expect(ecamRead(m, 3, 0, 0, FN_AER + 4, 4)).toBe(1 << 12);
  });
});

describe("reported through the Root Port", { timeout: 60_000 }, () => {
  it("ERR_NONFATAL: Root Error Status, Error Source = the guest's Requester ID, Received System Error, the port's MSI", () => {
    const { m, fn } = setup();
    expect(m.hostError(fn, { kind: "uncorrectable", bit: 14 })).toEqual({ message: "ERR_NONFATAL", interrupted: true });
    expect(rootStatus(m)).toBe(0x04 | 0x20); // ERR_FATAL/NONFATAL Received, Non-Fatal Error Messages Received
    expect(errorSource(m) >>> 16).toBe(0x0300); // bus 3, device 0, function 0: the guest's numbering
    expect(secondaryStatus(m) & 0x4000).toBe(0x4000);
    expect(m.guestInterrupts.messages.toArray()).toEqual([{ source: "root port 00:01.0", address: 0xfee0_6000n, data: 0x4030 }]);
  });

  it("a second uncorrectable error sets Multiple; fatal sets Fatal Error Messages Received", () => {
    const { m, fn } = setup();
    m.hostError(fn, { kind: "uncorrectable", bit: 14 });
    expect(m.hostError(fn, { kind: "uncorrectable", bit: 18 }).message).toBe("ERR_FATAL"); // Malformed TLP: fatal
    expect(rootStatus(m)).toBe(0x04 | 0x08 | 0x20 | 0x40); // First Uncorrectable Fatal stays 0: the first was non-fatal
  });

  it("a first fatal error sets First Uncorrectable Fatal", () => {
    const { m, fn } = setup();
    m.hostError(fn, { kind: "uncorrectable", bit: 18 });
    expect(rootStatus(m)).toBe(0x04 | 0x10 | 0x40);
  });

  it("ERR_COR sets ERR_COR Received and the correctable source", () => {
    const { m, fn } = setup();
    expect(m.hostError(fn, { kind: "correctable", bit: 0 }).message).toBe("ERR_COR");
    expect(rootStatus(m)).toBe(0x01);
    expect(errorSource(m) & 0xffff).toBe(0x0300);
    expect(secondaryStatus(m) & 0x4000).toBe(0);
    m.hostError(fn, { kind: "correctable", bit: 7 });
    expect(rootStatus(m)).toBe(0x03);
  });

  it("the guest clears Root Error Status with a 1; the port's model is not involved", () => {
    const { m, fn } = setup();
    m.hostError(fn, { kind: "uncorrectable", bit: 14 });
    ecamWrite(m, 0, 1, 0, PORT_AER + 0x30, 4, 0x7f);
    expect(rootStatus(m)).toBe(0);
  });

  it("an error the guest masked in its (virtual) AER mask is logged but not reported", () => {
    const { m, fn } = setup();
    ecamWrite(m, 3, 0, 0, FN_AER + 8, 4, 1 << 14);
    expect(readHardware(fn.host, FN_AER + 8, 4)).toBe(0); // the mask is virtual: the host's AER stays as the host set it
    expect(m.hostError(fn, { kind: "uncorrectable", bit: 14 })).toEqual({ message: undefined, interrupted: false });
    expect(ecamRead(m, 3, 0, 0, FN_AER + 4, 4)).toBe(1 << 14);
    expect(rootStatus(m)).toBe(0);
    expect(m.guestInterrupts.messages.toArray()).toEqual([]);
  });

  it("the guest's severity decides fatal or non-fatal", () => {
    const { m, fn } = setup();
    ecamWrite(m, 3, 0, 0, FN_AER + 0x0c, 4, 1 << 14);
    expect(m.hostError(fn, { kind: "uncorrectable", bit: 14 }).message).toBe("ERR_FATAL");
  });

  it("without the guest's Device Control enables or SERR# Enable, nothing is sent", () => {
    const { m, fn } = setup({ reporting: false });
    expect(m.hostError(fn, { kind: "uncorrectable", bit: 14 }).message).toBeUndefined();
    ecamWrite(m, 3, 0, 0, 0x04, 2, 0x0100); // SERR# Enable (virtual)
    expect(m.hostError(fn, { kind: "uncorrectable", bit: 14 }).message).toBe("ERR_NONFATAL");
    expect(m.hostError(fn, { kind: "correctable", bit: 0 }).message).toBeUndefined();
  });

  it("Root Error Command off: status is recorded, no interrupt", () => {
    const { m, fn } = setup({ rootCommand: 0 });
    expect(m.hostError(fn, { kind: "uncorrectable", bit: 14 })).toEqual({ message: "ERR_NONFATAL", interrupted: false });
    expect(rootStatus(m)).toBe(0x24);
    expect(m.guestInterrupts.messages.toArray()).toEqual([]);
  });
});

describe("the AER Header Log the guest reads", { timeout: 60_000 }, () => {
  const HEADER_LOG = FN_AER + 0x1c;
  const guestLog = (m: Machine) => [0, 4, 8, 12].map((i) => ecamRead(m, 3, 0, 0, HEADER_LOG + i, 4));
  const hostLog = (fn: ReturnType<typeof setup>["fn"]) => [0, 4, 8, 12].map((i) => readHardware(fn.host, HEADER_LOG + i, 4));
  // A poisoned memory write from the host's root complex (ID 0x0008) into BAR 0 at the host's address.
  const POISONED_MWR = [0x4000_4001, 0x0008_010f, 0xfe00_0104, 0];

  it("holds the header with the guest's BAR address and root complex, while the host's log keeps the host's", () => {
    const { m, fn } = setup();
    ecamWrite(m, 3, 0, 0, 0x10, 4, 0xc000_0000); // the guest places BAR 0
    ecamWrite(m, 3, 0, 0, 0x04, 2, 0x0006);
    expect(guestLog(m)).toEqual([0, 0, 0, 0]);
    m.hostError(fn, { kind: "uncorrectable", bit: 12, header: POISONED_MWR });
    expect(hostLog(fn)).toEqual(POISONED_MWR);
    expect(guestLog(m)).toEqual([0x4000_4001, 0x0000_010f, 0xc000_0104, 0]);
    expect(ecamRead(m, 3, 0, 0, FN_AER + 0x18, 4) & 0x1f).toBe(12); // First Error Pointer (live)
  });

  it("the function's own host Requester ID reads as the guest's; a guest write to the log changes nothing", () => {
    const { m, fn } = setup();
    const completion = [0x4a00_0001, 0x0008_0004, ((fn.domain << 16) | 0x0100) >>> 0, 0];
    m.hostError(fn, { kind: "uncorrectable", bit: 16, header: completion });
    expect(guestLog(m)).toEqual([0x4a00_0001, 0x0000_0004, 0x0300_0100, 0]);
    ecamWrite(m, 3, 0, 0, HEADER_LOG + 8, 4, fn.domain << 16);
    expect(guestLog(m)[2]).toBe(0x0300_0100);
    expect(hostLog(fn)).toEqual(completion);
  });

  it("a second error while the first is pending keeps the first header (one header, as the device records it)", () => {
    const { m, fn } = setup();
    m.hostError(fn, { kind: "uncorrectable", bit: 12, header: POISONED_MWR });
    m.hostError(fn, { kind: "uncorrectable", bit: 20, header: [0x0000_0001, 0x0008_0000, 0xfe00_0000, 0] });
    expect(hostLog(fn)).toEqual(POISONED_MWR);
    expect(guestLog(m)[0]).toBe(POISONED_MWR[0]);
  });

  it("a header the host logged before attach is not shown", () => {
    const m = new Machine();
    const logged = imageFile("endpoint-logged", AER_ENDPOINT.replace("uncorrectable_severity = 0x00062030", "uncorrectable_severity = 0x00062030; header_log1 = 0x0008010f; header_log2 = 0xfe000104"));
    const fn = m.plug(1, logged, { name: "ep" });
    programBuses(m, 1, 3);
    expect(hostLog(fn)).toEqual([0, 0x0008_010f, 0xfe00_0104, 0]);
    expect(guestLog(m)).toEqual([0, 0, 0, 0]);
  });
});

describe.skipIf(!haveSharedDevices)("a real device (Intel 82576 dump)", { timeout: 60_000 }, () => {
  it("an uncorrectable error logged in the device's AER reaches the guest and its Root Port", () => {
    const m = new Machine();
    const fn = m.plug(1, join(sharedDevicesDir, "intel-82576-nic.lspci"), { name: "82576" });
    programBuses(m, 1, 2);
    expect(fn.aer).toBe(0x100);
    ecamWrite(m, 2, 0, 0, fn.pcie! + 8, 2, ecamRead(m, 2, 0, 0, fn.pcie! + 8, 2) | 0x7);
    const before = ecamRead(m, 2, 0, 0, 0x104, 4);
    const r = m.hostError(fn, { kind: "uncorrectable", bit: 20 }); // Unsupported Request
    expect(r.message).toBeDefined();
    expect(ecamRead(m, 2, 0, 0, 0x104, 4)).toBe((before | (1 << 20)) >>> 0);
    expect(rootStatus(m) & 0x04).toBe(0x04);
    expect(errorSource(m) >>> 16).toBe(0x0200);
  });
});
