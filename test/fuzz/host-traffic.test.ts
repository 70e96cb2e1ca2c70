// Host traffic: on real hardware each configuration read or write that reaches
// the device costs about a microsecond, so the harness counts them per guest
// access, and `cfgvirt fuzz` prints the count.
import { expect, it } from "vitest";
import { runCampaign } from "../../src/fuzz/campaign.js";
import { CountingHost } from "../../src/fuzz/counting-host.js";
import { openPair, runPair } from "../../src/fuzz/harness.js";
import { SimulatedDevice } from "../../src/host/simulated.js";
import { DEFAULT_EXAMPLE } from "../../src/open-device.js";
import { cli } from "../helpers/cli.js";
import { haveSharedDevices } from "../helpers/devices.js";

it("a counting host counts reads and writes and passes them through", () => {
  const inner = new SimulatedDevice(new Uint8Array([0x86, 0x80, 0xd3, 0x10]), 64);
  const h = new CountingHost(inner);
  expect(h.read32(0)).toBe(0x10d38086);
  h.write(4, 2, 0x0406);
  expect(inner.words[1]).toBe(0x0406);
  expect([h.reads, h.writes, h.operations, h.size]).toEqual([1, 1, 2, 64]);
  h.resetCounts();
  expect(h.operations).toBe(0);
});

it("counts what the table runtime sends to the host for each guest access", () => {
  const pair = openPair(DEFAULT_EXAMPLE);
  const count = (a: Parameters<typeof runPair>[1][number]) => {
    pair.tableHost.resetCounts();
    expect(runPair(pair, [a], { finalScan: false })).toBeUndefined();
    return [pair.tableHost.reads, pair.tableHost.writes];
  };
  // Vendor and Device ID are constant (`RO const`), served from the attach-time
  // snapshot: nothing. Status holds live bits: one read. Interrupt Line is emulated: nothing.
  expect(count({ kind: "r", offset: 0x00, size: 4 })).toEqual([0, 0]);
  expect(count({ kind: "r", offset: 0x06, size: 2 })).toEqual([1, 0]);
  expect(count({ kind: "r", offset: 0x3c, size: 1 })).toEqual([0, 0]);
  // Bus Master Enable passes through; Command also holds bits the host keeps: a read-modify-write.
  expect(count({ kind: "w", offset: 0x04, size: 2, value: 0x0006 })).toEqual([1, 1]);
  // The invariant checks' own reads are not counted.
  expect(count({ kind: "w", offset: 0x3c, size: 1, value: 0x0a })).toEqual([0, 0]);
});

it("a campaign reports host operations per guest access", () => {
  const r = runCampaign(openPair(DEFAULT_EXAMPLE), { runs: 50, seed: 3 });
  expect(r.failure).toBeUndefined();
  expect(r.hostOpsPerAccess).toBeGreaterThan(0);
  expect(r.hostOpsPerAccess).toBeLessThan(2);
});

it("cfgvirt fuzz prints host operations per access", async () => {
  const r = await cli("fuzz", "--runs", "50", "--seed", "5");
  expect(r.code).toBe(0);
  expect(r.out).toMatch(/^host operations per access: \d+\.\d{3} /m);
});

it("a constant field shows the device's value at attach; a live one what the device holds now", () => {
  const pair = openPair(DEFAULT_EXAMPLE);
  const host = pair.tableHost.inner as SimulatedDevice;
  const before = pair.table.device.read(0x08, 4);
  // The device changes its Revision ID (constant: it cannot, so the snapshot stands)
  // and raises Received Master Abort in Status (live: the guest sees it).
  host.words[2] ^= 0xff;
  host.words[1] |= 1 << 29;
  expect(pair.table.device.read(0x08, 4)).toBe(before);
  expect((pair.table.device.read(0x06, 2) >>> 13) & 1).toBe(1);
});

it.skipIf(!haveSharedDevices)("the bench trace (the 82576 dump) sends the host at most 0.15 operations per guest access (0.36 before constant fields, 0.173 before the virtual AER Header Log)", async () => {
  const { BENCH_DEVICE, makeTrace, registerDwords, TRACE } = await import("../../bench/trace.js");
  const pair = openPair(BENCH_DEVICE);
  const trace = makeTrace(registerDwords(pair.ref));
  pair.tableHost.resetCounts();
  for (let i = 0; i < TRACE; i++) {
    if (trace.kind[i] === 0) pair.table.device.read(trace.offset[i], trace.size[i]);
    else pair.table.device.write(trace.offset[i], trace.size[i], trace.value[i]);
  }
  expect(pair.tableHost.operations / TRACE).toBeLessThan(0.15);
});
