// `cfgvirt fuzz`: a campaign prints its seed and rate; a disagreement comes out
// as an access script that `cfgvirt replay` runs as it is and that reproduces it.
import { packHot } from "../../src/runtime/attach.js";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { counterexampleScript, runCampaign } from "../../src/fuzz/campaign.js";
import { openPair, runPair } from "../../src/fuzz/harness.js";
import { DEFAULT_EXAMPLE } from "../../src/open-device.js";
import { parseAccessScript } from "../../src/runtime/script.js";
import { cli } from "../helpers/cli.js";

it("runs a campaign on the example device and prints the seed and the rate", async () => {
  const r = await cli("fuzz", "--runs", "300", "--seed", "7");
  expect(r.code).toBe(0);
  expect(r.out).toMatch(/^seed: 7$/m);
  expect(r.out).toMatch(/^runs: 300$/m);
  expect(r.out).toMatch(/^accesses\/second: \d+/m);
  expect(r.out).toMatch(/agree/);
  expect(r.err).toMatch(/fuzz: 300\/300 runs/);
});

it("the same seed runs the same campaign", async () => {
  const a = await cli("fuzz", "--runs", "100", "--seed", "123");
  const b = await cli("fuzz", "--runs", "100", "--seed", "123");
  const accesses = (s: string) => /^accesses: (\d+)/m.exec(s)![1];
  expect(accesses(a.out)).toBe(accesses(b.out));
});

it.each([["--runs", "0"], ["--runs", "x"], ["--seed", "1.5"], ["--length", "-3"]])("refuses %s %s", async (flag, value) => {
  const r = await cli("fuzz", flag, value);
  expect(r.code).toBe(2);
  expect(r.err).toMatch(new RegExp(flag));
});

it("a disagreement shrinks to a script that replay runs and that reproduces it", async () => {
  // Plant a fault in the table runtime: Interrupt Line's writes go nowhere.
  const plant = (p: ReturnType<typeof openPair>) => {
    p.table.tables.virtWrite[0x0f] &= ~0xff;
    packHot(p.table.tables);
  };
  const pair = openPair(DEFAULT_EXAMPLE);
  plant(pair);
  const result = runCampaign(pair, { runs: 2000, seed: 99 });
  expect(result.failure).toBeDefined();
  const script = counterexampleScript(result, DEFAULT_EXAMPLE);
  const accesses = parseAccessScript("counterexample", script);
  expect(accesses.length).toBeLessThanOrEqual(2);
  expect(accesses[0]).toMatchObject({ kind: "w", offset: 0x3c });

  const dir = mkdtempSync(join(tmpdir(), "cfgvirt-fuzz-"));
  const file = join(dir, "counterexample.txt");
  writeFileSync(file, script);
  const replay = await cli("replay", "--device", DEFAULT_EXAMPLE, file);
  expect(replay.code).toBe(0);

  const again = openPair(DEFAULT_EXAMPLE);
  plant(again);
  expect(runPair(again, accesses)).toBeDefined();
  expect(runPair(openPair(DEFAULT_EXAMPLE), accesses)).toBeUndefined();
});

it("--bar sizes the BARs the campaign fuzzes (it was once ignored)", async () => {
  const plain = await cli("fuzz", "--runs", "5", "--seed", "1");
  const sized = await cli("fuzz", "--runs", "5", "--seed", "1", "--bar", "0=64K");
  expect(plain.out).toMatch(/^bars: 0=131072\b/m);
  expect(sized.out).toMatch(/^bars: 0=65536\b/m);
});
