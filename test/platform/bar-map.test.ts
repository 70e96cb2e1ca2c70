// Memory BARs map the host BAR page by page; moving a BAR or turning Memory
// Space off tears the old mapping down first. Real dumps from ../shared/devices
// (skipped with a message when absent), plus the example NIC.
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DEFAULT_EXAMPLE } from "../../src/open-device.js";
import { hostBarAddress } from "../../src/platform/bar-map.js";
import { PAGE_SIZE } from "../../src/platform/iommu.js";
import { Machine } from "../../src/platform/machine.js";
import { haveSharedDevices, sharedDevicesDir } from "../helpers/devices.js";
import { ecamRead, ecamWrite, programBuses } from "./helpers.js";

const NIC_82576 = join(sharedDevicesDir, "intel-82576-nic.lspci");
const BUS = 3;

function setup(path: string) {
  const m = new Machine();
  const fn = m.plug(1, path, { name: "dev" });
  programBuses(m, 1, BUS);
  const bar0 = fn.bars.find((b) => b.index === 0)!;
  return { m, fn, bar0 };
}

const place = (m: Machine, address: number) => ecamWrite(m, BUS, 0, 0, 0x10, 4, address);
const command = (m: Machine, value: number) => ecamWrite(m, BUS, 0, 0, 0x04, 2, value);

describe.skipIf(!haveSharedDevices)("memory BAR mapping on a real device (82576)", { timeout: 60_000 }, () => {
  it("a BAR moved twice leaves no stale mapping: only the last address reaches the host", () => {
    const { m, fn, bar0 } = setup(NIC_82576);
    const pages = bar0.size / PAGE_SIZE;
    command(m, 0x0006);
    const addresses = [0xc000_0000, 0xc100_0000, 0xc200_0000];
    for (const a of addresses) place(m, a);
    expect(m.barMap.list(fn).filter((r) => r.bar === 0)).toHaveLength(1);
    expect(m.barMap.list(fn).find((r) => r.bar === 0)).toMatchObject({ guestBase: 0xc200_0000, pages, directPages: pages });
    // Page by page: the last address's pages translate to the host BAR's pages, in order; the old ones to nothing.
    const hostPage = hostBarAddress(fn, bar0) / PAGE_SIZE;
    for (let p = 0; p < pages; p++) {
      expect(m.barMap.translatePage(0xc200_0000 / PAGE_SIZE + p)).toBe(hostPage + p);
      expect(m.barMap.translatePage(0xc000_0000 / PAGE_SIZE + p)).toBeUndefined();
      expect(m.barMap.translatePage(0xc100_0000 / PAGE_SIZE + p)).toBeUndefined();
    }
    m.mmioWrite(0xc200_0000 + 0x10, 4, 0x1234_5678);
    expect(fn.hostBars!.read(0, 0x10, 4)).toBe(0x1234_5678);
    for (const old of addresses.slice(0, 2)) {
      expect(m.mmioRead(old + 0x10, 4)).toBe(0xffffffff);
      m.mmioWrite(old + 0x20, 4, 0xdead_beef);
    }
    expect(fn.hostBars!.read(0, 0x20, 4)).toBe(0);
  });

  it("turning Memory Space off tears the mapping down; turning it on maps the BAR where it is", () => {
    const { m, fn } = setup(NIC_82576);
    place(m, 0xc000_0000);
    command(m, 0x0006);
    expect(m.mmioRead(0xc000_0000, 4)).toBe(0);
    command(m, 0x0004);
    expect(m.barMap.list(fn).filter((r) => r.space === "mem")).toHaveLength(0);
    expect(m.mmioRead(0xc000_0000, 4)).toBe(0xffffffff);
    place(m, 0xc300_0000); // moved while off: nothing maps until decoding is back
    expect(m.barMap.mappedPages).toBe(0);
    command(m, 0x0006);
    expect(m.barMap.list(fn).find((r) => r.bar === 0)?.guestBase).toBe(0xc300_0000);
    expect(m.mmioRead(0xc000_0000, 4)).toBe(0xffffffff);
  });

  it("the MSI-X table's pages are trapped, not mapped: the guest writes the platform's copy, never the device's table", () => {
    const { m, fn } = setup(NIC_82576);
    const loc = fn.msixLocation!;
    const bar = fn.bars.find((b) => b.index === loc.table.bar)!;
    ecamWrite(m, BUS, 0, 0, 0x10 + 4 * bar.index, 4, 0xc400_0000);
    command(m, 0x0006);
    const run = m.barMap.list(fn).find((r) => r.bar === bar.index)!;
    expect(run.directPages).toBe(run.pages - 2); // the table's page and the PBA's page
    m.mmioWrite(0xc400_0000 + loc.table.offset + 16 + 8, 4, 0x4099); // entry 1 data
    expect(fn.guestMsixTable[1].data).toBe(0x4099);
    expect(fn.hostMsixTable[1].data).toBe(0);
    expect(m.mmioRead(0xc400_0000 + loc.table.offset + 16 + 8, 4)).toBe(0x4099);
    expect(m.mmioRead(0xc400_0000 + loc.table.offset + 16 + 12, 4)).toBe(1); // still masked
  });
});

describe("memory BAR mapping (example NIC)", { timeout: 60_000 }, () => {
  it("a BAR at guest address 0 is not mapped (QEMU's pci_bar_address)", () => {
    const { m, fn } = setup(DEFAULT_EXAMPLE);
    place(m, 0);
    command(m, 0x0006);
    expect(m.barMap.list(fn).some((r) => r.bar === 0)).toBe(false);
  });

  it("sizing with decoding off maps nothing, and the guest reads the size mask", () => {
    const { m, fn, bar0 } = setup(DEFAULT_EXAMPLE);
    command(m, 0x0000);
    place(m, 0xffffffff);
    expect(ecamRead(m, BUS, 0, 0, 0x10, 4) >>> 0).toBe((~(bar0.size - 1) & 0xfffffff0) >>> 0);
    expect(m.barMap.list(fn)).toHaveLength(0);
  });
});

describe("BAR map invariant (property)", { timeout: 120_000 }, () => {
  it("after any sequence of BAR moves and decode toggles, exactly the current guest BARs map, once each, and old addresses read all-ones", () => {
    const { m, fn } = setup(DEFAULT_EXAMPLE);
    const mems = fn.bars.filter((b) => b.kind === "mem32" && b.size > 0);
    const op = fc.oneof(
      fc.record({ kind: fc.constant("move" as const), bar: fc.constantFrom(...mems.map((b) => b.index)), slot: fc.integer({ min: 0, max: 63 }) }),
      fc.record({ kind: fc.constant("decode" as const), on: fc.boolean() }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 30 }), (ops) => {
        const seen = new Set<number>();
        for (const o of ops) {
          if (o.kind === "decode") command(m, o.on ? 0x0006 : 0x0004);
          else {
            const a = 0x8000_0000 + o.slot * 0x40_0000;
            seen.add(a);
            ecamWrite(m, BUS, 0, 0, 0x10 + 4 * o.bar, 4, a);
          }
        }
        const on = (ecamRead(m, BUS, 0, 0, 0x04, 2) & 2) !== 0;
        const runs = m.barMap.list(fn).filter((r) => r.space === "mem");
        const current = mems.map((b) => ({ bar: b.index, base: (ecamRead(m, BUS, 0, 0, 0x10 + 4 * b.index, 4) & 0xfffffff0) >>> 0, size: b.size }));
        const expected = on ? current.filter((c) => c.base !== 0) : [];
        expect(runs.map((r) => ({ bar: r.bar, base: r.guestBase, size: r.size })).sort((x, y) => x.bar - y.bar)).toEqual(expected.sort((x, y) => x.bar - y.bar));
        for (const a of seen) {
          const live = expected.some((c) => a >= c.base && a < c.base + c.size);
          if (!live) expect(m.mmioRead(a, 4)).toBe(0xffffffff);
        }
      }),
      { seed: 20081121, numRuns: 60 },
    );
  });
});
