// The talk's open issue 1, detected by the heuristic in unsuitable.ts: a guest
// register write through a BAR whose value is a guest-physical address inside
// the same function's own memory BAR (which the device would dereference
// without the IOMMU) marks the function unsuitable, by name, logged once.
import { describe, expect, it } from "vitest";
import { DEFAULT_EXAMPLE } from "../../src/open-device.js";
import { Machine } from "../../src/platform/machine.js";
import { ecamWrite, programBuses } from "./helpers.js";

function setup() {
  const lines: string[] = [];
  const m = new Machine({ log: (l) => lines.push(l) });
  const fn = m.plug(1, DEFAULT_EXAMPLE, { name: "nic" });
  programBuses(m, 1, 1);
  ecamWrite(m, 1, 0, 0, 0x10, 4, 0xc000_0000); // BAR 0, 128 KiB
  ecamWrite(m, 1, 0, 0, 0x1c, 4, 0xc002_0000); // BAR 3, 16 KiB
  ecamWrite(m, 1, 0, 0, 0x04, 2, 0x0006);
  return { m, fn, lines };
}

describe("unsuitable device detection", { timeout: 60_000 }, () => {
  it("reports, by name, a guest-physical address of the function's own BAR written into a device register", () => {
    const { m, fn, lines } = setup();
    m.mmioWrite(0xc000_0100, 4, 0xc002_0040); // "here is where my buffer is": an address inside BAR 3
    m.mmioWrite(0xc000_0104, 4, 0xc002_0080);
    expect(fn.unsuitable).toBe(true);
    expect(m.unsuitable.toArray()).toEqual([
      { fn: "nic", bar: 0, offset: 0x100, value: 0xc002_0040, target: 3 },
      { fn: "nic", bar: 0, offset: 0x104, value: 0xc002_0080, target: 3 },
    ]);
    expect(lines.filter((l) => /unsuitable for pass-through/.test(l))).toEqual([expect.stringMatching(/\] nic: guest wrote guest-physical address 0xc0020040 \(inside its own BAR 3\) to BAR 0 \+ 0x100/)]);
  });

  it("does not report ordinary values, DMA addresses in guest RAM, or sub-dword writes", () => {
    const { m, fn } = setup();
    m.mapGuestMemory(fn, 0x1000_0000, 0x1000);
    m.mmioWrite(0xc000_0100, 4, 0x1000_0000); // a DMA descriptor base: translated by the IOMMU
    m.mmioWrite(0xc000_0104, 4, 0x5a5a_5a5a);
    m.mmioWrite(0xc000_0108, 2, 0xc002);
    expect(fn.unsuitable).toBe(false);
    expect(m.unsuitable.total).toBe(0);
  });
});
