// Many devices' virtual state in shared flat arrays (DeviceStates): a device
// in a pool behaves exactly as one with its own arrays, its `shadow` is its
// own words of the pool (only dwords with virtual state have one), and a full
// pool is a typed error.
import fc from "fast-check";
import { expect, it } from "vitest";
import { CfgvirtError } from "../../src/diag/diagnostic.js";
import { SimulatedDevice } from "../../src/host/simulated.js";
import { expectSameArray } from "../helpers/arrays.js";
import { DEFAULT_EXAMPLE, openDevice } from "../../src/open-device.js";
import { standardHooks } from "../../src/runtime/hooks.js";
import { DeviceLog } from "../../src/runtime/log.js";
import { DeviceStates, VirtualDevice } from "../../src/runtime/virtual-device.js";
import type { HostFunctions } from "../../src/host/host.js";

const opened = openDevice(DEFAULT_EXAMPLE);
const tables = opened.tables;
const bytes = opened.source.bytes;
const make = (states?: DeviceStates) => {
  const host = new SimulatedDevice(bytes);
  host.setBehaviour(tables.hardware);
  return { host, device: new VirtualDevice(tables, host, new DeviceLog(() => {}), standardHooks(), states) };
};

const access = fc.record({
  write: fc.boolean(),
  offset: fc.integer({ min: 0, max: 0x7f }),
  size: fc.constantFrom(1, 2, 4),
  value: fc.nat({ max: 0xffffffff }),
  device: fc.nat({ max: 2 }),
});

it("devices in one pool behave as devices with their own state, and do not disturb each other", () => {
  fc.assert(
    fc.property(fc.array(access, { maxLength: 200 }), (accesses) => {
      const states = new DeviceStates(tables, 3);
      const pooled = [make(states), make(states), make(states)];
      const alone = [make(), make(), make()];
      for (const a of accesses) {
        const p = pooled[a.device];
        const q = alone[a.device];
        if (a.write) {
          p.device.write(a.offset, a.size, a.value);
          q.device.write(a.offset, a.size, a.value);
        } else {
          // expect() only on a difference: it costs more than the access, 20,000 times a run.
          const [got, want] = [p.device.read(a.offset, a.size), q.device.read(a.offset, a.size)];
          if (got !== want) expect(got, `read ${a.size} at ${a.offset}`).toBe(want);
        }
      }
      for (let k = 0; k < 3; k++) {
        expectSameArray(pooled[k].device.shadow.toArray(), alone[k].device.shadow.toArray());
        expectSameArray(pooled[k].host.words, alone[k].host.words);
      }
    }),
    { seed: 0x50a, numRuns: 100 },
  );
});

it("a pooled device's shadow is its words of the pool; reset restores only those", () => {
  const states = new DeviceStates(tables, 2);
  const a = make(states).device;
  const b = make(states).device;
  expect(a.shadow.toArray()).toEqual(tables.initialShadow);
  a.write(0x3c, 1, 0x55); // Interrupt Line, emulated
  expect(states.words[tables.slot[0x3c >> 2]] & 0xff).toBe(0x55);
  expect(b.read(0x3c, 1)).toBe(tables.initialShadow[0x3c >> 2] & 0xff);
  b.shadow.set(0x0f, 0x1234); // as a hook or the platform would
  expect(states.words[states.stride + tables.slot[0x0f]]).toBe(0x1234);
  expect(b.shadow.get(0x0f)).toBe(0x1234);
  b.resetShadow();
  expect(b.shadow.get(0x0f)).toBe(tables.initialShadow[0x0f]);
  expect(a.read(0x3c, 1)).toBe(0x55);
});

it("a function keeps words only for dwords with virtual state; the others read 0 and ignore the platform's writes", () => {
  const states = new DeviceStates(tables, 2);
  const a = make(states).device;
  const b = make(states).device;
  let kept = 0;
  for (let d = 0; d < 1024; d++) {
    const virtual = ((tables.virtRead[d] & tables.covered[d]) | tables.virtWrite[d] | tables.virtW1C[d] | tables.initialShadow[d]) !== 0;
    expect(tables.slot[d] !== 0).toBe(virtual);
    if (virtual) kept++;
  }
  expect(kept).toBeLessThan(128);
  expect(states.stride).toBeGreaterThan(kept);
  expect(states.stride).toBeGreaterThanOrEqual(16);
  expect(states.stride & (states.stride - 1)).toBe(0); // a power of two
  expect(states.words.length).toBe(2 * states.stride);
  // A default-deny dword: no slot; writes through the shadow are dropped, the guest reads 0.
  const denied = tables.denied.findIndex((m, d) => m === 0xffffffff && tables.slot[d] === 0);
  expect(denied).toBeGreaterThan(0);
  a.shadow.set(denied, 0xdeadbeef);
  expect(a.shadow.get(denied)).toBe(0);
  expect(a.read(denied * 4, 4)).toBe(0);
  // Every function's word 0 (where such dwords point) stays 0.
  a.write(denied * 4, 4, 0xffffffff);
  expect(states.words[0]).toBe(0);
  expect(states.words[states.stride]).toBe(0);
  expect(b.shadow.toArray()).toEqual(tables.initialShadow);
});

it("a function number the pool never gave out is an absent function: reads all-ones, writes reach no one (pools of one share a block)", () => {
  // Two pools of one over the same tables: their state sits side by side in one block.
  const a = make();
  const b = make();
  expect(b.device.states.mem).toBe(a.device.states.mem);
  b.device.write(0x3c, 1, 0x11); // Interrupt Line, emulated
  for (const fn of [1, 2, -1, 0.5, NaN, 2 ** 32]) {
    a.device.states.write(fn, 0x3c, 1, 0x77);
    a.device.states.write(fn, 0x04, 2, 0x0006);
    expect([1, 2, 4].map((size) => a.device.states.read(fn, 0x00, size)), String(fn)).toEqual([0xff, 0xffff, 0xffffffff]);
  }
  expect(b.device.read(0x3c, 1)).toBe(0x11);
  expect(a.device.read(0x3c, 1)).toBe(tables.initialShadow[0x3c >> 2] & 0xff);
  expectSameArray(a.host.words, b.host.words);
});

it("a full pool is a typed error", () => {
  const states = new DeviceStates(tables, 1);
  make(states);
  expect(() => make(states)).toThrow(CfgvirtError);
  try {
    make(states);
  } catch (e) {
    expect((e as CfgvirtError).code).toBe("A003");
  }
});

/** Hosts of many functions in one flat array, reached by number (as a PF's VFs could be). */
class FlatHosts implements HostFunctions {
  readonly hosts: SimulatedDevice[];
  constructor(count: number) {
    this.hosts = Array.from({ length: count }, () => {
      const h = new SimulatedDevice(bytes);
      h.setBehaviour(tables.hardware);
      return h;
    });
  }
  functionRead32(fn: number, index: number): number {
    return this.hosts[fn].read32(index);
  }
  functionWrite(fn: number, offset: number, size: 1 | 2 | 4, value: number): void {
    this.hosts[fn].write(offset, size, value);
  }
}

it("functions addressed by number (states.read / states.write) behave as devices of their own, including split and odd accesses", () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ write: fc.boolean(), offset: fc.integer({ min: -2, max: 4097 }), size: fc.constantFrom(0, 1, 2, 3, 4, 8), value: fc.nat({ max: 0xffffffff }), device: fc.nat({ max: 2 }) }), { maxLength: 200 }),
      (accesses) => {
        const hosts = new FlatHosts(3);
        const states = new DeviceStates(tables, 3, hosts);
        const pooled = hosts.hosts.map((h) => new VirtualDevice(tables, h, new DeviceLog(() => {}), standardHooks(), states));
        const alone = [make(), make(), make()];
        for (const a of accesses) {
          const q = alone[a.device].device;
          if (a.write) {
            states.write(pooled[a.device].fn, a.offset, a.size, a.value);
            q.write(a.offset, a.size, a.value);
          } else {
            const [got, want] = [states.read(pooled[a.device].fn, a.offset, a.size), q.read(a.offset, a.size)];
            if (got !== want) expect(got, `read ${a.size} at ${a.offset}`).toBe(want);
          }
        }
        for (let k = 0; k < 3; k++) {
          expectSameArray(pooled[k].shadow.toArray(), alone[k].device.shadow.toArray());
          expectSameArray(hosts.hosts[k].words, alone[k].host.words);
        }
      },
    ),
    { seed: 0xf17, numRuns: 100 },
  );
});

it("each function of a pool gets its own hooks, its own device in them, and its own default-deny log lines", () => {
  const states = new DeviceStates(tables, 2);
  const calls: string[] = [];
  const logs: string[][] = [[], []];
  const devices = [0, 1].map((k) => {
    const host = new SimulatedDevice(bytes);
    host.setBehaviour(tables.hardware);
    return new VirtualDevice(tables, host, new DeviceLog((l) => logs[k].push(l)), (device, hook) => calls.push(`${k}:${device.fn}:${hook}`), states);
  });
  // A BAR write calls the "bar" hook of the function written, with that function's device.
  devices[1].write(0x10, 4, 0xffffffff);
  devices[0].write(0x14, 4, 0xffffffff);
  expect(calls).toEqual(["1:1:bar", "0:0:bar"]);
  // Default deny is logged once per dword and function, whichever functions share the pool.
  const denied = tables.denied.findIndex((m) => m !== 0);
  expect(denied).toBeGreaterThan(0);
  for (let i = 0; i < 3; i++) devices[0].write(denied * 4, 4, 0xffffffff);
  devices[1].write(denied * 4, 4, 0xffffffff);
  const line = `write to 0x${(denied * 4).toString(16).padStart(3, "0")} touches bytes no rule covers; dropped (default deny)`;
  expect(logs[0].filter((l) => l === line)).toHaveLength(1);
  expect(logs[1].filter((l) => l === line)).toHaveLength(1);
});

it("a device joins only a pool of its own tables", () => {
  const other = openDevice(DEFAULT_EXAMPLE).tables; // attached again: equal tables, another object
  const states = new DeviceStates(other, 2);
  expect(() => make(states)).toThrow(CfgvirtError);
  try {
    make(states);
  } catch (e) {
    expect((e as CfgvirtError).code).toBe("A004");
  }
});
