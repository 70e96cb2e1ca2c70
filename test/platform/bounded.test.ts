// Every per-event record the platform keeps is bounded (ring.ts): a guest
// storm costs constant memory. Asserted as record counts, not heap timing.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { exampleDevices } from "../../src/open-device.js";
import { Machine } from "../../src/platform/machine.js";
import { Ring } from "../../src/platform/ring.js";
import { AER_ENDPOINT, ecamWrite, imageFile, programBuses } from "./helpers.js";

const [, NVME] = exampleDevices(); // PM at 0x40, No_Soft_Reset = 1
const ENDPOINT = imageFile("bounded-endpoint", AER_ENDPOINT);

describe("bounded records", { timeout: 120_000 }, () => {
  it("100,000 guest PMCSR writes keep the platform's records at their bound", () => {
    const lines: string[] = [];
    const m = new Machine({ log: (l) => lines.push(l) });
    const fn = m.plug(1, NVME, { name: "nvme" });
    programBuses(m, 1, 1);
    const states = [3, 0, 1, 2];
    for (let i = 0; i < 100_000; i++) ecamWrite(m, 1, 0, 0, fn.pm! + 4, 2, states[i & 3]);
    expect(m.powerEvents.total).toBe(100_000);
    expect(m.powerEvents.length).toBe(m.powerEvents.capacity);
    expect(m.powerEvents.dropped).toBe(100_000 - m.powerEvents.capacity);
    expect(m.powerEvents.at(-1)).toMatchObject({ fn: "nvme", state: 2 });
    expect(lines.length).toBeLessThanOrEqual(70); // the device's log budget (64) and its one "suppressed" line
  });

  it("IOMMU faults, stray MSIs, INTx assertions and vCPU vector records stay at their bound under a storm", () => {
    const m = new Machine();
    const fn = m.plug(1, ENDPOINT, { name: "ep" });
    programBuses(m, 1, 1);
    ecamWrite(m, 1, 0, 0, 0x04, 2, 0x0006);
    for (let i = 0; i < 5_000; i++) m.dmaWrite(fn, 0x1000 * i, new Uint8Array(4));
    for (let i = 0; i < 5_000; i++) m.msi.hostMessage(0xfee0_0000, 0x9000 + (i & 0xff));
    for (let i = 0; i < 5_000; i++) {
      m.raiseIntx(fn);
      m.lowerIntx(fn);
      m.intc.eoi(fn.intxLine);
    }
    expect(m.iommu.faults.total).toBe(5_000);
    expect(m.iommu.faults.length).toBe(m.iommu.faults.capacity);
    expect(m.hostVectors.stray.total).toBe(5_000);
    expect(m.hostVectors.stray.length).toBe(m.hostVectors.stray.capacity);
    expect(m.guestInterrupts.intx.total).toBe(5_000);
    expect(m.guestInterrupts.intx.length).toBe(m.guestInterrupts.intx.capacity);
    expect(m.intc.deliveries.length).toBe(m.intc.deliveries.capacity);
    expect(m.cpus.cpus[0].apic.vectors.length).toBe(m.cpus.cpus[0].apic.vectors.capacity);
    expect(m.cpus.cpus[0].apic.delivered).toBe(5_000);
  });

  it("a ring keeps the newest `capacity` entries in order, and counts the rest", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 16 }), fc.array(fc.integer(), { maxLength: 80 }), (capacity, items) => {
        const r = new Ring<number>(capacity);
        for (const x of items) r.push(x);
        expect(r.toArray()).toEqual(items.slice(-capacity));
        expect(r.length).toBe(Math.min(capacity, items.length));
        expect(r.total).toBe(items.length);
        expect(r.dropped).toBe(items.length - r.length);
        expect(r.at(-1)).toBe(items.at(-1));
        expect(r.at(0)).toBe(items.slice(-capacity)[0]);
      }),
      { seed: 9, numRuns: 300 },
    );
  });
});
