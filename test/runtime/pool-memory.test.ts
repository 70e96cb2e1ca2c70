// Where a pool keeps its words (src/runtime/pool-memory.ts): a copy of the
// tables' hot entries, then the functions' state, in one typed array. Pools of
// one over the same tables share a block; packHot reaches every copy.
import { expect, it } from "vitest";
import { SimulatedDevice } from "../../src/host/simulated.js";
import { DEFAULT_EXAMPLE, openDevice } from "../../src/open-device.js";
import { packHot } from "../../src/runtime/attach.js";
import { DeviceLog } from "../../src/runtime/log.js";
import { HOT_WORDS } from "../../src/runtime/pool-memory.js";
import type { DeviceTables } from "../../src/runtime/tables.js";
import { DeviceStates, VirtualDevice } from "../../src/runtime/virtual-device.js";

const opened = () => openDevice(DEFAULT_EXAMPLE);
const make = (tables: DeviceTables, bytes: Uint8Array, states?: DeviceStates) => {
  const host = new SimulatedDevice(bytes);
  host.setBehaviour(tables.hardware);
  return new VirtualDevice(tables, host, new DeviceLog(() => {}), undefined, states);
};

it("pools of one over the same tables share a block (one copy of the hot entries), each with its own state; a full block starts another", () => {
  const { tables, source, device } = opened();
  // With the device openDevice attached, 66 pools of one: a block of 64, then another.
  const devices = [device, ...Array.from({ length: 65 }, () => make(tables, source.bytes))];
  const blocks = new Map<Int32Array, number[]>();
  for (const d of devices) blocks.set(d.states.mem, [...(blocks.get(d.states.mem) ?? []), d.states.first]);
  expect([...blocks.values()].map((firsts) => firsts.length)).toEqual([64, 2]);
  for (const firsts of blocks.values()) expect(firsts).toEqual(firsts.map((_, k) => HOT_WORDS + k * tables.stateWords));
  // The hot entries at the start of every block are the tables'.
  for (const mem of blocks.keys()) expect(Uint32Array.from(mem.subarray(0, HOT_WORDS))).toEqual(tables.hot);
  // Interrupt Line is emulated: each device keeps what its guest wrote.
  devices.forEach((d, k) => d.write(0x3c, 1, k));
  devices.forEach((d, k) => expect(d.read(0x3c, 1)).toBe(k));
  devices[3].resetShadow();
  expect(devices[3].read(0x3c, 1)).toBe(tables.initialShadow[0x0f] & 0xff);
  expect(devices[4].read(0x3c, 1)).toBe(4);
});

it("a table change that packHot makes reaches the devices already attached, in every block", () => {
  const { tables, source } = opened();
  const alone = make(tables, source.bytes);
  const states = new DeviceStates(tables, 2);
  const pooled = make(tables, source.bytes, states);
  for (const d of [alone, pooled]) {
    d.write(0x3c, 1, 0x55);
    expect(d.read(0x3c, 1)).toBe(0x55);
  }
  // Interrupt Line now ignores the guest's writes (the oracle test's planted fault).
  tables.virtWrite[0x0f] &= ~0xff;
  packHot(tables);
  for (const d of [alone, pooled]) {
    d.write(0x3c, 1, 0xaa);
    expect(d.read(0x3c, 1)).toBe(0x55);
  }
  // A device attached after the change sees it too.
  const later = make(tables, source.bytes);
  later.write(0x3c, 1, 0xaa);
  expect(later.read(0x3c, 1)).toBe(tables.initialShadow[0x0f] & 0xff);
});
