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
  // Vendor and Device ID pass through: one read. Interrupt Line is emulated: nothing.
  expect(count({ kind: "r", offset: 0x00, size: 4 })).toEqual([1, 0]);
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
