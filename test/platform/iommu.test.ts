// DMA confinement: Bus Master Enable passes to the hardware, but only the
// IOMMU's map decides what the device reaches.
import { describe, expect, it } from "vitest";
import { DEFAULT_EXAMPLE } from "../../src/open-device.js";
import { Machine } from "../../src/platform/machine.js";
import { cf8Read, cf8Write, programBuses } from "./helpers.js";

const GUEST_PAGE = 0x0010_0000;
const HOST_PAGE = 0x7_4000_0000;

function setup() {
  const m = new Machine();
  const fn = m.plug(1, DEFAULT_EXAMPLE, { name: "nic" });
  const other = m.plug(2, DEFAULT_EXAMPLE, { name: "nic2" });
  programBuses(m, 1, 1);
  programBuses(m, 2, 2);
  m.iommu.map(fn.domain, GUEST_PAGE, HOST_PAGE, 0x2000);
  return { m, fn, other };
}

function busMaster(m: Machine, bus: number, on: boolean) {
  const cmd = cf8Read(m, bus, 0, 0, 0x04, 2);
  cf8Write(m, bus, 0, 0, 0x04, 2, on ? cmd | 0x4 : cmd & ~0x4);
}

describe("IOMMU", { timeout: 60_000 }, () => {
  it("Bus Master Enable reaches the hardware through the rules", () => {
    const { m, fn } = setup();
    busMaster(m, 1, false);
    expect(fn.host.read32(1) & 0x4).toBe(0);
    busMaster(m, 1, true);
    expect(fn.host.read32(1) & 0x4).toBe(0x4);
  });

  it("with Bus Master off the device issues nothing", () => {
    const { m, fn } = setup();
    busMaster(m, 1, false);
    expect(m.dmaWrite(fn, GUEST_PAGE, Uint8Array.of(1, 2, 3))).toEqual({ ok: false, reason: "bus master disabled" });
    expect(m.memory.read(HOST_PAGE, 3)).toEqual(Uint8Array.of(0, 0, 0));
    expect(m.iommu.faults.toArray()).toEqual([]);
  });

  it("DMA to a mapped page lands at the host page the platform chose, across a page boundary too", () => {
    const { m, fn } = setup();
    busMaster(m, 1, true);
    const data = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
    expect(m.dmaWrite(fn, GUEST_PAGE + 0xff0, data).ok).toBe(true);
    expect(m.memory.read(HOST_PAGE + 0xff0, 32)).toEqual(data);
    const back = m.dmaRead(fn, GUEST_PAGE + 0xff0, 32);
    expect(back.ok && back.data).toEqual(data);
  });

  it("a device with Bus Master on cannot reach an unmapped page: the IOMMU faults and memory is untouched", () => {
    const { m, fn } = setup();
    busMaster(m, 1, true);
    const target = HOST_PAGE + 0x10000; // real memory, not in the device's map
    m.memory.write(target, Uint8Array.of(0xaa));
    // Identity guess, neighbouring page, and a transfer that runs off the end of the mapping.
    expect(m.dmaWrite(fn, target, Uint8Array.of(0x55))).toMatchObject({ ok: false, reason: "iommu fault", iova: target });
    expect(m.dmaWrite(fn, GUEST_PAGE + 0x2000, Uint8Array.of(0x55)).ok).toBe(false);
    expect(m.dmaWrite(fn, GUEST_PAGE + 0x1ff8, new Uint8Array(16).fill(0x55))).toMatchObject({ ok: false, iova: GUEST_PAGE + 0x2000 });
    expect(m.dmaRead(fn, 0, 4).ok).toBe(false);
    expect(m.memory.read(target, 1)).toEqual(Uint8Array.of(0xaa));
    expect(m.memory.read(HOST_PAGE + 0x1ff8, 8)).toEqual(new Uint8Array(8)); // no partial write
    expect(m.iommu.faults.map((f) => [f.domain, f.iova, f.write, f.reason])).toEqual([
      [fn.domain, target, true, "unmapped"],
      [fn.domain, GUEST_PAGE + 0x2000, true, "unmapped"],
      [fn.domain, GUEST_PAGE + 0x2000, true, "unmapped"],
      [fn.domain, 0, false, "unmapped"],
    ]);
  });

  it("one function's map is not another's", () => {
    const { m, other } = setup();
    busMaster(m, 2, true);
    expect(m.dmaWrite(other, GUEST_PAGE, Uint8Array.of(9)).ok).toBe(false);
    expect(m.iommu.faults.at(0)!.domain).toBe(other.domain);
  });

  it("a read-only mapping faults on write", () => {
    const { m, fn } = setup();
    busMaster(m, 1, true);
    m.iommu.map(fn.domain, 0x20_0000, HOST_PAGE + 0x4000, 0x1000, { writable: false });
    expect(m.dmaRead(fn, 0x20_0000, 4).ok).toBe(true);
    expect(m.dmaWrite(fn, 0x20_0000, Uint8Array.of(1)).ok).toBe(false);
    expect(m.iommu.faults.at(-1)?.reason).toBe("read-only");
  });

  it("unplugging destroys the domain: no DMA afterwards", () => {
    const { m, fn } = setup();
    busMaster(m, 1, true);
    m.unplug(1);
    expect(m.iommu.hasDomain(fn.domain)).toBe(false);
    expect(m.dmaWrite(fn, GUEST_PAGE, Uint8Array.of(1))).toMatchObject({ ok: false, reason: "iommu fault" });
    expect(m.iommu.faults.at(-1)?.reason).toBe("no domain");
  });
});
