// Hot-plug on the emulated Root Ports: Slot Status presence and change bits,
// the Data Link Layer state, the port's interrupt, and surprise removal.
import { describe, expect, it } from "vitest";
import { DEFAULT_EXAMPLE } from "../../src/open-device.js";
import { Machine } from "../../src/platform/machine.js";
import { cf8Read, cf8Write, ecamRead, programBuses } from "./helpers.js";

const PCIE = 0x40; // the root port image's PCI Express capability
const SLOT_CONTROL = PCIE + 0x18;
const SLOT_STATUS = PCIE + 0x1a;
const LINK_STATUS = PCIE + 0x12;
const PORT_MSI = 0x80;
const PDC = 1 << 3;
const PDS = 1 << 6;
const DLLSC = 1 << 8;
const DLL_ACTIVE = 1 << 13;

const slotStatus = (m: Machine, port = 1) => cf8Read(m, 0, port, 0, SLOT_STATUS, 2);

/** The guest's hot-plug driver: port MSI at a guest address, then Slot Control enables. */
function guestArmsHotPlug(m: Machine, port = 1, control = (1 << 5) | (1 << 3) | (1 << 12)) {
  cf8Write(m, 0, port, 0, PORT_MSI + 4, 4, 0xfee0_5000);
  cf8Write(m, 0, port, 0, PORT_MSI + 0x0c, 2, 0x4020 + port);
  cf8Write(m, 0, port, 0, PORT_MSI + 2, 2, 1);
  cf8Write(m, 0, port, 0, SLOT_CONTROL, 2, control);
}

describe("hot-plug", { timeout: 60_000 }, () => {
  it("an empty slot shows no presence and no link", () => {
    const m = new Machine();
    expect(slotStatus(m) & (PDS | PDC | DLLSC)).toBe(0);
    expect(cf8Read(m, 0, 1, 0, LINK_STATUS, 2) & DLL_ACTIVE).toBe(0);
  });

  it("adding a function sets Presence Detect State/Changed and DLL State Changed, and the link comes up", () => {
    const m = new Machine();
    m.plug(1, DEFAULT_EXAMPLE);
    expect(slotStatus(m) & (PDS | PDC | DLLSC)).toBe(PDS | PDC | DLLSC);
    expect(cf8Read(m, 0, 1, 0, LINK_STATUS, 2) & DLL_ACTIVE).toBe(DLL_ACTIVE);
    expect(slotStatus(m, 2) & (PDS | PDC)).toBe(0); // other slots untouched
  });

  it("the guest clears the change bits with a 1 (RW1C); presence stays", () => {
    const m = new Machine();
    m.plug(1, DEFAULT_EXAMPLE);
    cf8Write(m, 0, 1, 0, SLOT_STATUS, 2, PDC);
    expect(slotStatus(m) & (PDS | PDC | DLLSC)).toBe(PDS | DLLSC);
    cf8Write(m, 0, 1, 0, SLOT_STATUS, 2, 0xffff);
    expect(slotStatus(m) & (PDS | PDC | DLLSC)).toBe(PDS);
  });

  it("with Hot-Plug Interrupt Enable, the port's MSI goes to the guest's address/data", () => {
    const m = new Machine();
    guestArmsHotPlug(m);
    m.plug(1, DEFAULT_EXAMPLE);
    expect(m.guestInterrupts.messages.toArray()).toEqual([{ source: "root port 00:01.0", address: 0xfee0_5000n, data: 0x4021 }]);
  });

  it("without Hot-Plug Interrupt Enable, or without the event's enable, there is no interrupt", () => {
    const m = new Machine();
    guestArmsHotPlug(m, 1, (1 << 3) | (1 << 12)); // no HPIE
    guestArmsHotPlug(m, 2, 1 << 5); // HPIE only
    m.plug(1, DEFAULT_EXAMPLE);
    m.plug(2, DEFAULT_EXAMPLE);
    expect(m.guestInterrupts.messages.toArray()).toEqual([]);
    expect(slotStatus(m, 1) & PDC).toBe(PDC);
  });

  it("orderly removal clears presence and the link, sets the change bits, interrupts, and unroutes", () => {
    const m = new Machine();
    m.plug(1, DEFAULT_EXAMPLE);
    programBuses(m, 1, 1);
    cf8Write(m, 0, 1, 0, SLOT_STATUS, 2, 0xffff);
    guestArmsHotPlug(m);
    m.unplug(1);
    expect(slotStatus(m) & (PDS | PDC | DLLSC)).toBe(PDC | DLLSC);
    expect(cf8Read(m, 0, 1, 0, LINK_STATUS, 2) & DLL_ACTIVE).toBe(0);
    expect(m.guestInterrupts.messages).toHaveLength(1);
    expect(cf8Read(m, 1, 0, 0, 0, 4)).toBe(0xffffffff);
    // The slot takes a new function.
    const again = m.plug(1, DEFAULT_EXAMPLE);
    expect(cf8Read(m, 1, 0, 0, 0, 4)).toBe(again.device.read(0, 4));
  });
});

describe("surprise removal", { timeout: 60_000 }, () => {
  function removed() {
    const m = new Machine();
    const fn = m.plug(1, DEFAULT_EXAMPLE, { name: "nic" });
    programBuses(m, 1, 1);
    cf8Write(m, 1, 0, 0, 0x04, 2, 0x0406); // Bus Master on
    m.iommu.map(fn.domain, 0x1000, 0x9000_0000, 0x1000);
    cf8Write(m, 1, 0, 0, 0x54, 4, 0xfee0_0000);
    cf8Write(m, 1, 0, 0, 0x52, 2, 1); // MSI on
    cf8Write(m, 0, 1, 0, SLOT_STATUS, 2, 0xffff);
    guestArmsHotPlug(m);
    m.surpriseRemove(1);
    return { m, fn };
  }

  it("the host device reads all-ones: the guest sees it in every live register through both mechanisms; the IDs stay as attached, as under vfio-pci", () => {
    const { m, fn } = removed();
    const ids = fn.device.tables.initialShadow[0];
    expect(fn.host.read32(0)).toBe(0xffffffff);
    // Vendor and Device ID are constant: served from the snapshot (vfio-pci's vconfig does the same).
    expect(cf8Read(m, 1, 0, 0, 0x00, 4)).toBe(ids);
    expect(ecamRead(m, 1, 0, 0, 0x00, 2)).toBe(ids & 0xffff);
    // Status's live bits (Interrupt Status, the error bits) read all-ones.
    expect(cf8Read(m, 1, 0, 0, 0x06, 2) & 0xf908).toBe(0xf908);
    expect(ecamRead(m, 1, 0, 0, 0x06, 2) & 0xf908).toBe(0xf908);
  });

  it("the slot shows the device gone and the port interrupts", () => {
    const { m } = removed();
    expect(slotStatus(m) & (PDS | PDC | DLLSC)).toBe(PDC | DLLSC);
    expect(cf8Read(m, 0, 1, 0, LINK_STATUS, 2) & DLL_ACTIVE).toBe(0);
    expect(m.guestInterrupts.messages.map((x) => x.source)).toEqual(["root port 00:01.0"]);
  });

  it("writes reach nothing, interrupts and DMA stop, routes and the domain are gone", () => {
    const { m, fn } = removed();
    const writes = fn.host.writes;
    cf8Write(m, 1, 0, 0, 0x04, 2, 0x0000);
    cf8Write(m, 1, 0, 0, 0x52, 2, 1);
    expect(fn.host.writes).toBe(writes);
    expect(m.signal(fn, 0)).toBeUndefined();
    expect(m.dmaWrite(fn, 0x1000, Uint8Array.of(1))).toEqual({ ok: false, reason: "device removed" });
    expect(fn.msiVectors).toBeUndefined();
    expect(m.hostVectors.size).toBe(0);
    expect(m.iommu.hasDomain(fn.domain)).toBe(false);
    m.unplug(1);
    expect(cf8Read(m, 1, 0, 0, 0, 4)).toBe(0xffffffff);
  });

  it("the runtime logs the all-ones reads once", () => {
    const lines: string[] = [];
    const m = new Machine({ log: (l) => lines.push(l) });
    const fn = m.plug(1, DEFAULT_EXAMPLE, { name: "nic" });
    programBuses(m, 1, 1);
    m.surpriseRemove(1);
    for (let i = 0; i < 3; i++) cf8Read(m, 1, 0, 0, 0x04, 4);
    expect(lines.filter((l) => /surprise removal/.test(l))).toEqual([expect.stringMatching(/^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \d+\] nic: /)]);
    expect(fn.host.removed).toBe(true);
  });
});
