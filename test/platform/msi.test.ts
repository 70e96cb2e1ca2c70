// MSI and MSI-X delivery through the PlatformListener: the host is programmed
// with the platform's values, the guest receives its own, and MSI and MSI-X are
// never both on in the host.
import { describe, expect, it } from "vitest";
import { readHardware } from "../../src/platform/capabilities.js";
import { PLATFORM_MSI_ADDRESS } from "../../src/platform/interrupts.js";
import { Machine } from "../../src/platform/machine.js";
import { AER_ENDPOINT, cf8Read, cf8Write, ecamWrite, imageFile, programBuses } from "./helpers.js";

const ENDPOINT = imageFile("endpoint", AER_ENDPOINT);
const MSI = 0x50;
const MSIX = 0x70;
const GUEST_ADDRESS = 0xfee0_1000;
const GUEST_DATA = 0x4041;

function setup() {
  const lines: string[] = [];
  const m = new Machine({ log: (l) => lines.push(l) });
  const fn = m.plug(1, ENDPOINT, { name: "ep" });
  programBuses(m, 1, 1);
  return { m, fn, lines };
}

/** The guest programs its MSI capability, as Linux does: address, data, then enable. */
function guestEnablesMsi(m: Machine, mme = 0) {
  cf8Write(m, 1, 0, 0, MSI + 4, 4, GUEST_ADDRESS);
  cf8Write(m, 1, 0, 0, MSI + 8, 4, 0);
  cf8Write(m, 1, 0, 0, MSI + 0x0c, 2, GUEST_DATA);
  cf8Write(m, 1, 0, 0, MSI + 2, 2, (mme << 4) | 1);
}

describe("MSI", { timeout: 60_000 }, () => {
  it("enable programs the host's MSI with the platform's address and a host vector, not the guest's", () => {
    const { m, fn } = setup();
    guestEnablesMsi(m);
    const control = readHardware(fn.host, MSI + 2, 2);
    expect(control & 1).toBe(1);
    expect(readHardware(fn.host, MSI + 4, 4)).toBe(PLATFORM_MSI_ADDRESS);
    expect(readHardware(fn.host, MSI + 8, 4)).toBe(0);
    const hostData = readHardware(fn.host, MSI + 0x0c, 2);
    expect(hostData).toBe(fn.msiVectors!.base);
    expect(hostData).not.toBe(GUEST_DATA);
    // The guest still reads back what it wrote.
    expect(cf8Read(m, 1, 0, 0, MSI + 4, 4)).toBe(GUEST_ADDRESS);
    expect(cf8Read(m, 1, 0, 0, MSI + 0x0c, 2)).toBe(GUEST_DATA);
    expect(cf8Read(m, 1, 0, 0, MSI + 2, 2) & 1).toBe(1);
  });

  it("a device interrupt goes out with the host's values and reaches the guest at the guest's", () => {
    const { m, fn } = setup();
    guestEnablesMsi(m);
    const sent = m.signal(fn, 0);
    expect(sent).toEqual({ address: PLATFORM_MSI_ADDRESS, data: fn.msiVectors!.base });
    expect(m.guestInterrupts.messages.toArray()).toEqual([{ source: "ep", address: BigInt(GUEST_ADDRESS), data: GUEST_DATA }]);
    expect(m.hostVectors.stray.toArray()).toEqual([]);
  });

  it("multiple messages: the message number lands in the guest's low data bits", () => {
    const { m, fn } = setup();
    guestEnablesMsi(m, 2); // 4 vectors; the function is capable of 4
    expect((readHardware(fn.host, MSI + 2, 2) >> 4) & 7).toBe(2);
    m.signal(fn, 3);
    m.signal(fn, 4); // beyond what is enabled: not sent
    expect(m.guestInterrupts.messages.map((x) => x.data)).toEqual([(GUEST_DATA & ~3) | 3]);
  });

  it("an address/data change while enabled takes effect at the next message", () => {
    const { m, fn } = setup();
    guestEnablesMsi(m);
    cf8Write(m, 1, 0, 0, MSI + 0x0c, 2, 0x4099);
    m.signal(fn, 0);
    expect(m.guestInterrupts.messages.at(0)!.data).toBe(0x4099);
    expect(readHardware(fn.host, MSI + 0x0c, 2)).toBe(fn.msiVectors!.base);
  });

  it("disable turns host MSI off and frees the route; a forged host message then goes nowhere", () => {
    const { m, fn } = setup();
    guestEnablesMsi(m);
    const vector = fn.msiVectors!.base;
    cf8Write(m, 1, 0, 0, MSI + 2, 2, 0);
    expect(readHardware(fn.host, MSI + 2, 2) & 1).toBe(0);
    expect(fn.msiVectors).toBeUndefined();
    expect(m.signal(fn, 0)).toBeUndefined();
    expect(m.guestInterrupts.intx.toArray()).toEqual(["ep"]);
    m.msi.hostMessage(PLATFORM_MSI_ADDRESS, vector);
    expect(m.guestInterrupts.messages.toArray()).toEqual([]);
    expect(m.hostVectors.stray.toArray()).toEqual([{ address: PLATFORM_MSI_ADDRESS, data: vector }]);
  });

  it("whatever the guest writes, the host's MSI registers hold only the platform's values", () => {
    const { m, fn } = setup();
    for (let off = MSI; off < MSI + 0x18; off += 4) ecamWrite(m, 1, 0, 0, off, 4, 0xffffffff); // enables MSI too
    expect(readHardware(fn.host, MSI + 2, 2) & 1).toBe(1);
    const hostValues = () => [readHardware(fn.host, MSI + 4, 4), readHardware(fn.host, MSI + 8, 4), readHardware(fn.host, MSI + 0x0c, 2)];
    expect(hostValues()).toEqual([PLATFORM_MSI_ADDRESS, 0, fn.msiVectors!.base]);
    for (let off = MSI + 4; off < MSI + 0x10; off += 2) ecamWrite(m, 1, 0, 0, off, 2, 0x1234);
    expect(hostValues()).toEqual([PLATFORM_MSI_ADDRESS, 0, fn.msiVectors!.base]);
    ecamWrite(m, 1, 0, 0, MSI + 2, 2, 0);
    expect(readHardware(fn.host, MSI + 2, 2) & 1).toBe(0);
    expect(hostValues()[0]).toBe(PLATFORM_MSI_ADDRESS);
  });
});

describe("MSI and MSI-X are never both on (XSA-157 class)", { timeout: 60_000 }, () => {
  it("MSI enabled while MSI-X is enabled is refused, logged once, host MSI stays off", () => {
    const { m, fn, lines } = setup();
    cf8Write(m, 1, 0, 0, MSIX + 2, 2, 0x8000);
    expect(readHardware(fn.host, MSIX + 2, 2) & 0x8000).toBe(0x8000);
    guestEnablesMsi(m);
    guestEnablesMsi(m);
    expect(readHardware(fn.host, MSI + 2, 2) & 1).toBe(0);
    expect(fn.msiVectors).toBeUndefined();
    expect(lines.filter((l) => /MSI while MSI-X/.test(l))).toHaveLength(1);
    expect(readHardware(fn.host, MSIX + 2, 2) & 0x8000).toBe(0x8000);
  });

  it("MSI-X enabled while MSI is enabled is refused, logged once, host MSI-X stays off", () => {
    const { m, fn, lines } = setup();
    guestEnablesMsi(m);
    cf8Write(m, 1, 0, 0, MSIX + 2, 2, 0x8000);
    cf8Write(m, 1, 0, 0, MSIX + 2, 2, 0xc000);
    expect(readHardware(fn.host, MSIX + 2, 2) & 0xc000).toBe(0);
    expect(fn.msixVectors).toBeUndefined();
    expect(lines.filter((l) => /MSI-X while MSI/.test(l))).toHaveLength(1);
    expect(readHardware(fn.host, MSI + 2, 2) & 1).toBe(1);
  });

  it("after MSI is disabled, MSI-X can be enabled", () => {
    const { m, fn } = setup();
    guestEnablesMsi(m);
    cf8Write(m, 1, 0, 0, MSI + 2, 2, 0);
    cf8Write(m, 1, 0, 0, MSIX + 2, 2, 0x8000);
    expect(readHardware(fn.host, MSIX + 2, 2) & 0x8000).toBe(0x8000);
  });
});

describe("MSI-X", { timeout: 60_000 }, () => {
  it("enable programs the host's table with the platform's values; entries deliver the guest's", () => {
    const { m, fn } = setup();
    cf8Write(m, 1, 0, 0, MSIX + 2, 2, 0x8000);
    expect(fn.hostMsixTable).toHaveLength(4);
    expect(fn.hostMsixTable.every((e, i) => e.address === BigInt(PLATFORM_MSI_ADDRESS) && e.data === fn.msixVectors!.base + i)).toBe(true);
    m.writeMsixEntry(fn, 2, { address: 0xfee0_2000n, data: 0x4052, masked: false });
    expect(m.signal(fn, 2)).toEqual({ address: PLATFORM_MSI_ADDRESS, data: fn.msixVectors!.base + 2 });
    expect(m.guestInterrupts.messages.toArray()).toEqual([{ source: "ep", address: 0xfee0_2000n, data: 0x4052 }]);
  });

  it("a masked entry holds its message until the guest unmasks it", () => {
    const { m, fn } = setup();
    cf8Write(m, 1, 0, 0, MSIX + 2, 2, 0x8000);
    m.writeMsixEntry(fn, 1, { address: 0xfee0_3000n, data: 0x4061 });
    m.signal(fn, 1);
    expect(m.guestInterrupts.messages.toArray()).toEqual([]);
    m.writeMsixEntry(fn, 1, { masked: false });
    expect(m.guestInterrupts.messages.map((x) => x.data)).toEqual([0x4061]);
  });

  it("the Function Mask reaches the host through the platform; the device holds messages until unmasked", () => {
    const { m, fn } = setup();
    m.writeMsixEntry(fn, 0, { address: 0xfee0_4000n, data: 0x4070, masked: false });
    cf8Write(m, 1, 0, 0, MSIX + 2, 2, 0xc000);
    expect(readHardware(fn.host, MSIX + 2, 2) & 0xc000).toBe(0xc000);
    expect(m.signal(fn, 0)).toBeUndefined();
    expect(m.guestInterrupts.messages.toArray()).toEqual([]);
    cf8Write(m, 1, 0, 0, MSIX + 2, 2, 0x8000);
    expect(readHardware(fn.host, MSIX + 2, 2) & 0xc000).toBe(0x8000);
    expect(m.guestInterrupts.messages.map((x) => x.data)).toEqual([0x4070]);
  });

  it("disable turns host MSI-X off and drops the routes", () => {
    const { m, fn } = setup();
    cf8Write(m, 1, 0, 0, MSIX + 2, 2, 0x8000);
    const vectors = m.hostVectors.size;
    expect(vectors).toBeGreaterThanOrEqual(4);
    cf8Write(m, 1, 0, 0, MSIX + 2, 2, 0x0000);
    expect(readHardware(fn.host, MSIX + 2, 2) & 0xc000).toBe(0);
    expect(m.hostVectors.size).toBe(0);
  });
});

describe("function-level reset", { timeout: 60_000 }, () => {
  it("FLR resets the virtual state, turns host MSI off and drops the route", () => {
    const { m, fn } = setup();
    guestEnablesMsi(m);
    expect(m.hostVectors.size).toBeGreaterThan(0);
    cf8Write(m, 1, 0, 0, 0x80 + 8, 2, 0x8000); // PCIe Device Control: Initiate FLR
    expect(cf8Read(m, 1, 0, 0, MSI + 2, 2) & 1).toBe(0);
    expect(cf8Read(m, 1, 0, 0, MSI + 4, 4)).toBe(0);
    expect(readHardware(fn.host, MSI + 2, 2) & 1).toBe(0);
    expect(m.hostVectors.size).toBe(0);
    m.signal(fn, 0);
    expect(m.guestInterrupts.messages.toArray()).toEqual([]);
  });
});
