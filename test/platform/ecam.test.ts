// ECAM: address decoding, the bus range, absent functions, and agreement with
// Configuration Mechanism #1 for the first 256 bytes (property tests, fixed seed).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DEFAULT_EXAMPLE, exampleDevices, guestView } from "../../src/open-device.js";
import { ecamAddress } from "../../src/platform/ecam.js";
import { Machine } from "../../src/platform/machine.js";
import { expectSameArray } from "../helpers/arrays.js";
import { cf8Read, cf8Write, ecamRead, ecamWrite, programBuses } from "./helpers.js";

const SEED = 0x5eed_cf8;

function machineWith(path: string, opts: ConstructorParameters<typeof Machine>[0] = {}) {
  const m = new Machine(opts);
  const fn = m.plug(1, path);
  programBuses(m, 1, 2);
  return { m, fn };
}

const access = fc.record({
  offset: fc.integer({ min: 0, max: 255 }),
  size: fc.constantFrom(1, 2, 4),
  value: fc.integer({ min: 0, max: 0xffffffff }),
});
/** CF8 can only express accesses within one dword: align like a CPU does for port I/O. */
const fitted = <A extends { offset: number; size: number }>(a: A): A => ({ ...a, offset: a.offset - ((a.offset & 3) + a.size > 4 ? (a.offset & 3) : 0) });

describe("ECAM", { timeout: 60_000 }, () => {
  it("decodes base + (bus << 20 | device << 15 | function << 12 | offset)", () => {
    expect(ecamAddress(0xe0000000, 2, 3, 4, 0x123)).toBe(0xe0000000 + 0x200000 + 0x18000 + 0x4000 + 0x123);
    const { m, fn } = machineWith(DEFAULT_EXAMPLE);
    expect(m.mmioRead(0xe0000000 + (2 << 20), 4)).toBe(fn.device.read(0, 4));
    expect(m.mmioRead(0xe0000000 + (2 << 20) + 0x0a, 2)).toBe(fn.device.read(0x0a, 2));
    expect(m.mmioRead(0xe0000000 + (1 << 15), 4)).toBe(m.port(1).device.read(0, 4));
  });

  it("an absent function, and addresses outside the window, read all-ones and take no writes", () => {
    const { m } = machineWith(DEFAULT_EXAMPLE);
    expect(ecamRead(m, 0, 7, 0, 0, 4)).toBe(0xffffffff);
    expect(ecamRead(m, 2, 0, 1, 0x40, 2)).toBe(0xffff);
    expect(ecamRead(m, 9, 0, 0, 0, 1)).toBe(0xff);
    expect(m.mmioRead(0xe0000000 - 4, 4)).toBe(0xffffffff);
    expect(m.mmioRead(0xe0000000 + 256 * 0x100000, 4)).toBe(0xffffffff);
    ecamWrite(m, 0, 7, 0, 0x18, 4, 0x00030300);
    expect(m.port(1).secondaryBus).toBe(2);
  });

  it("a window covering buses 0..3 only does not reach bus 4", () => {
    const m = new Machine({ ecam: { base: 0xb0000000, startBus: 0, endBus: 3 } });
    const fn = m.plug(2, DEFAULT_EXAMPLE);
    programBuses(m, 2, 4);
    expect(cf8Read(m, 4, 0, 0, 0, 4)).toBe(fn.device.read(0, 4));
    expect(m.ecam.contains(ecamAddress(0xb0000000, 4, 0, 0, 0))).toBe(false);
    expect(ecamRead(m, 4, 0, 0, 0, 4)).toBe(0xffffffff);
    programBuses(m, 2, 3);
    expect(ecamRead(m, 3, 0, 0, 0, 4)).toBe(fn.device.read(0, 4));
  });

  it("reaches extended configuration space and hands odd accesses to the VirtualDevice as they are", () => {
    const { m, fn } = machineWith(DEFAULT_EXAMPLE);
    const port = m.port(1);
    expect(ecamRead(m, 0, 1, 0, 0x100, 4)).toBe(port.device.read(0x100, 4));
    for (const [off, size] of [[0x3, 2], [0x2, 4], [0xffe, 4], [0xfff, 2], [0x41, 4]]) {
      expect(ecamRead(m, 2, 0, 0, off, size), `0x${off.toString(16)}/${size}`).toBe(fn.device.read(off, size));
    }
    expect(ecamRead(m, 2, 0, 0, 0, 3)).toBe(fn.device.read(0, 3));
  });

  for (const path of exampleDevices()) {
    const name = path.replace(/^.*\//, "");
    it(`${name}: ECAM and CF8 read the same for every offset < 256 and size`, () => {
      const { m } = machineWith(path);
      const ecam: string[] = [];
      const cf8: string[] = [];
      for (const [bus, dev] of [[2, 0], [0, 1], [0, 0]]) {
        for (let off = 0; off < 256; off++) {
          for (const size of [1, 2, 4]) {
            if ((off & 3) + size > 4) continue;
            const at = `${bus}:${dev} 0x${off.toString(16)}/${size}`;
            ecam.push(`${at} ${ecamRead(m, bus, dev, 0, off, size)}`);
            cf8.push(`${at} ${cf8Read(m, bus, dev, 0, off, size)}`);
          }
        }
      }
      expect(ecam).toEqual(cf8);
    });

    it(`${name}: the same guest writes through ECAM or CF8 leave the same state (property, fixed seed)`, () => {
      fc.assert(
        fc.property(fc.array(access.map(fitted), { maxLength: 40 }), fc.constantFrom<[number, number]>([2, 0], [0, 1]), (writes, [bus, dev]) => {
          const a = machineWith(path);
          const b = machineWith(path);
          for (const w of writes) {
            cf8Write(a.m, bus, dev, 0, w.offset, w.size, w.value);
            ecamWrite(b.m, bus, dev, 0, w.offset, w.size, w.value);
          }
          // Reads agree across mechanisms and machines, offset by offset.
          const dwords = (read: (off: number) => number) => Uint32Array.from({ length: 64 }, (_, i) => read(i * 4));
          expectSameArray(dwords((off) => ecamRead(a.m, 2, 0, 0, off, 4)), dwords((off) => cf8Read(b.m, 2, 0, 0, off, 4)), "device");
          expectSameArray(dwords((off) => cf8Read(a.m, 0, 1, 0, off, 4)), dwords((off) => ecamRead(b.m, 0, 1, 0, off, 4)), "root port");
          expectSameArray(a.fn.host.bytes(), b.fn.host.bytes());
          expectSameArray(guestView(a.m.port(1).device, 4096), guestView(b.m.port(1).device, 4096));
        }),
        { seed: SEED, numRuns: 40 },
      );
    });
  }
});
