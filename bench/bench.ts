// `npm run bench`: what a user waits for, measured in one run. Prints a
// summary (min / median / max over rounds), then LAST one JSON line:
//   tableAccessesPerSec, referenceAccessesPerSec, ratio   the trace (trace.ts) through
//       the table runtime and the reference interpreter, each on the whole trace,
//       interleaved round by round in this process; medians of the rounds
//   hostOpsPerAccess          host configuration reads + writes per guest access
//   manyDevicesAccessesPerSec the trace spread over 10,000 attached functions
//   coldStartMs               a fresh `cfgvirt view` of the dump, to its exit
//   stdlibCompileMs           compiling the standard library in a fresh process
//   fuzzAccessesPerMin        `cfgvirt fuzz`'s campaign, oracle on
//   socketRoundTripsPerSec    configuration reads over a UNIX socket, as QEMU's proxy makes them (bench/socket.ts)
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { runCampaign } from "../src/fuzz/campaign.js";
import { CountingHost } from "../src/fuzz/counting-host.js";
import { type DevicePair, openPair } from "../src/fuzz/harness.js";
import { socketBench, socketBenchLine } from "./socket.js";
import { BENCH_DEVICE, freshTableDevice, manyTableDevices, newHost, makeTrace, median, registerDwords, runDevices, runMany, runReference, runTable, scatteredTableDevices, spread, spreadOf, TRACE, type Trace } from "./trace.js";

const ROUNDS = 11;
/** The table runtime is ~50x faster: it runs the whole trace this many times per round, so both rounds last tens of ms. */
const TABLE_REPEAT = 16;
const MANY = 10_000;

const here = import.meta.dirname;
const cli = join(here, "..", "src", "cli.js");

function timed(run: () => void): number {
  const t = performance.now();
  run();
  return (performance.now() - t) / 1000;
}

/** Table and reference on the whole trace, interleaved; rates per round. */
function tableVersusReference(pair: DevicePair, trace: Trace) {
  const table = freshTableDevice(pair);
  const ref = pair.ref;
  // Short calls first, as bench:c does: V8 then optimizes the loop as a function
  // with whole passes' feedback, not only on-stack in the first long call, which
  // now and then bails out and leaves the rounds ~10% slower.
  for (let k = 0; k < 64; k++) runTable(table, trace, TRACE >> 4);
  for (let i = 0; i < 3; i++) {
    runTable(table, trace, TRACE * TABLE_REPEAT);
    runReference(ref, trace, TRACE);
    ref.hookCalls.length = 0;
  }
  const t: number[] = [];
  const r: number[] = [];
  const ratio: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate which goes first, so that neither always runs on a warmer or cooler machine.
    let ts = 0;
    let rs = 0;
    const doTable = () => (ts = timed(() => runTable(table, trace, TRACE * TABLE_REPEAT)));
    const doRef = () => (rs = timed(() => runReference(ref, trace, TRACE)));
    if (round % 2 === 0) (doTable(), doRef());
    else (doRef(), doTable());
    ref.hookCalls.length = 0;
    t.push((TRACE * TABLE_REPEAT) / ts);
    r.push(TRACE / rs);
    ratio.push(t[t.length - 1] / r[r.length - 1]);
  }
  return { table: t, reference: r, ratio };
}

function hostOps(pair: DevicePair, trace: Trace) {
  const counting = new CountingHost(newHost(pair));
  runTable(freshTableDevice(pair, counting), trace, TRACE);
  return { reads: counting.reads / TRACE, writes: counting.writes / TRACE, perAccess: counting.operations / TRACE };
}

/** The trace spread over MANY devices: state in shared flat arrays, and (for comparison) scattered per device; interleaved rounds. */
function manyDevices(pair: DevicePair, trace: Trace): { flat: number[]; scattered: number[] } {
  const flat = manyTableDevices(pair, MANY).states;
  const scattered = scatteredTableDevices(pair, MANY);
  const which = spread(MANY);
  for (let k = 0; k < 64; k++) runMany(flat, which, trace, TRACE >> 4), runDevices(scattered, which, trace, TRACE >> 4);
  runMany(flat, which, trace, TRACE * 2);
  runDevices(scattered, which, trace, TRACE * 2);
  const rates = { flat: [] as number[], scattered: [] as number[] };
  for (let round = 0; round < 5; round++) {
    // Rounds as long as the one-device rounds (TABLE_REPEAT passes): the scattered
    // run between them flushes the caches (80 MB), and a quarter as long a flat
    // round spent about half its time refilling them.
    const n = TRACE * TABLE_REPEAT;
    rates.flat.push(n / timed(() => runMany(flat, which, trace, n)));
    rates.scattered.push(n / timed(() => runDevices(scattered, which, trace, n)));
  }
  return rates;
}

/** Wall time of fresh processes, in ms. */
function processTimes(args: readonly string[], runs: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const r = spawnSync(process.execPath, args, { encoding: "utf8" });
    const ms = performance.now() - t;
    if (r.status !== 0) throw new Error(`bench: ${args.join(" ")} failed: ${r.stderr}`);
    out.push(ms);
  }
  return out;
}

/** Compiling the standard library, timed inside a fresh process (module loading excluded). */
function stdlibCompile(runs: number): number[] {
  const load = pathToFileURL(join(here, "..", "src", "compile", "pipeline.js")).href;
  const script = `const { compileRules } = await import(${JSON.stringify(load)}); const t = performance.now(); compileRules(); console.log(performance.now() - t);`;
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`bench: stdlib compile failed: ${r.stderr}`);
    out.push(Number(r.stdout.trim()));
  }
  return out;
}

function fuzzRates(runs: number): { perMin: number[]; hostOps: number[] } {
  const perMin: number[] = [];
  const hostOps: number[] = [];
  for (let i = 0; i < runs; i++) {
    const pair = openPair(BENCH_DEVICE);
    const r = runCampaign(pair, { runs: 1500, seed: 1 + i, maxLength: 200 });
    if (r.failure) throw new Error(`bench: fuzz campaign disagreed: ${r.failure.mismatch.message}`);
    perMin.push((r.accesses / r.seconds) * 60);
    hostOps.push(r.hostOpsPerAccess);
  }
  return { perMin, hostOps };
}

async function main(): Promise<void> {
  const pair = openPair(BENCH_DEVICE);
  const registers = registerDwords(pair.ref);
  const trace = makeTrace(registers);

  // Both implementations must agree on this trace before their speed means anything.
  const check = { table: runTable(freshTableDevice(pair), trace, TRACE), reference: runReference(pair.ref, trace, TRACE) };
  if (check.table !== check.reference) throw new Error(`bench: the table runtime and the reference disagree on the trace (${check.table} vs ${check.reference})`);
  pair.ref.hookCalls.length = 0;

  const vs = tableVersusReference(pair, trace);
  const ops = hostOps(pair, trace);
  const many = manyDevices(pair, trace);
  const cold = processTimes([cli, "view", "--device", BENCH_DEVICE], 5);
  const compile = stdlibCompile(5);
  const fuzz = fuzzRates(3);
  const socket = await socketBench(BENCH_DEVICE);

  const M = (n: number) => `${(n / 1e6).toFixed(2)}M`;
  const mmm = (xs: number[], f: (n: number) => string) => {
    const s = spreadOf(xs);
    return `${f(s.min)} / ${f(s.median)} / ${f(s.max)}`;
  };
  const ms = (n: number) => `${n.toFixed(0)} ms`;
  console.log(`device: ${BENCH_DEVICE}`);
  console.log(`trace: ${TRACE} accesses (70% reads, 30% writes; sizes 1/2/4, aligned; offsets from ${registers.length} register dwords, 10% anywhere)`);
  console.log(`(min / median / max of ${ROUNDS} interleaved rounds; the table runs the trace ${TABLE_REPEAT}x a round, the reference once)`);
  console.log(`table runtime:         ${mmm(vs.table, M)} accesses/s`);
  console.log(`reference interpreter: ${mmm(vs.reference, M)} accesses/s`);
  console.log(`ratio:                 ${mmm(vs.ratio, (n) => n.toFixed(1) + "x")}`);
  console.log(`host operations:       ${ops.perAccess.toFixed(3)} per guest access (${ops.reads.toFixed(3)} reads, ${ops.writes.toFixed(3)} writes)`);
  console.log(`${MANY} devices:         ${mmm(many.flat, M)} accesses/s (${(median(vs.table) / median(many.flat)).toFixed(1)}x slower than one; one pool, by function number)`);
  console.log(`  scattered state:     ${mmm(many.scattered, M)} accesses/s (each device its own arrays and host object)`);
  console.log(`cold start (view):     ${mmm(cold, ms)}`);
  console.log(`stdlib compile:        ${mmm(compile, ms)} (fresh process, module loading excluded)`);
  console.log(`fuzzing:               ${mmm(fuzz.perMin, M)} accesses/min (oracle on); ${median(fuzz.hostOps).toFixed(3)} host ops per access`);
  console.log(socketBenchLine(socket));
  console.log(
    JSON.stringify({
      tableAccessesPerSec: Math.round(median(vs.table)),
      referenceAccessesPerSec: Math.round(median(vs.reference)),
      ratio: Number(median(vs.ratio).toFixed(2)),
      hostOpsPerAccess: Number(ops.perAccess.toFixed(4)),
      manyDevicesAccessesPerSec: Math.round(median(many.flat)),
      coldStartMs: Math.round(median(cold)),
      stdlibCompileMs: Math.round(median(compile)),
      fuzzAccessesPerMin: Math.round(median(fuzz.perMin)),
      socketRoundTripsPerSec: Math.round(socket.socketRoundTripsPerSec),
    }),
  );
}

await main();
