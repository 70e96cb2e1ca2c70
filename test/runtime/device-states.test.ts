// Many devices' virtual state in shared flat arrays (DeviceStates): a device
// in a pool behaves exactly as one with its own arrays, its `shadow` is its
// own slice of the pool, and a full pool is a typed error.
import fc from "fast-check";
import { expect, it } from "vitest";
import { CfgvirtError } from "../../src/diag/diagnostic.js";
import { SimulatedDevice } from "../../src/host/simulated.js";
import { DEFAULT_EXAMPLE, openDevice } from "../../src/open-device.js";
import { standardHooks } from "../../src/runtime/hooks.js";
import { DeviceLog } from "../../src/runtime/log.js";
import { DeviceStates, VirtualDevice } from "../../src/runtime/virtual-device.js";

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
        } else expect(p.device.read(a.offset, a.size)).toBe(q.device.read(a.offset, a.size));
      }
      for (let k = 0; k < 3; k++) {
        expect(pooled[k].device.shadow).toEqual(alone[k].device.shadow);
        expect(pooled[k].host.words).toEqual(alone[k].host.words);
      }
    }),
    { seed: 0x50a, numRuns: 100 },
  );
});

it("a pooled device's shadow is its slice of the pool; reset restores only that slice", () => {
  const states = new DeviceStates(tables, 2);
  const a = make(states).device;
  const b = make(states).device;
  expect(a.shadow.length).toBe(1024);
  a.write(0x3c, 1, 0x55); // Interrupt Line, emulated
  expect(states.shadow[0x3c >> 2] & 0xff).toBe(0x55);
  expect(b.read(0x3c, 1)).toBe(tables.initialShadow[0x3c >> 2] & 0xff);
  b.shadow[0x0f] = 0x1234; // as a hook or the platform would
  expect(states.shadow[1024 + 0x0f]).toBe(0x1234);
  b.resetShadow();
  expect(b.shadow[0x0f]).toBe(tables.initialShadow[0x0f]);
  expect(a.read(0x3c, 1)).toBe(0x55);
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
