// `npm run bench:c`: the table runtime's hot path against the same hot path in
// C (bench/hot-path.c, built with the system compiler at -O2), on the same
// tables and the same trace, one device and 10,000 functions of one pool.
// The C program stays running and takes one round per command, so that JS and
// C rounds interleave in time (on a shared machine the load changes from
// second to second); ratios are taken per round, then min / median / max.
// Each round is timed twice: wall clock, and CPU time (this process's, C's
// own), which leaves out the time another agent's process held the core.
// Prints a summary, then LAST one JSON line.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { HOOK_NAMES } from "../src/compile/vocabulary.js";
import { openPair } from "../src/fuzz/harness.js";
import { CONFIG_DWORDS } from "../src/host/host.js";
import { BENCH_DEVICE, freshTableDevice, manyTableDevices, makeTrace, median, registerDwords, runDevices, runMany, runTable, spread, spreadOf, TRACE } from "./trace.js";

const ROUNDS = 15;
const REPEAT = 16;
const MANY = 10_000;
const here = import.meta.dirname;

const pair = openPair(BENCH_DEVICE);
const trace = makeTrace(registerDwords(pair.ref));
const which = spread(MANY);
const t = pair.table.tables;

// The data file: header, tables, host, hooks, VPD, trace (hot-path.c's main reads it in this order).
const hookKind = new Uint8Array(CONFIG_DWORDS).map((_, d) => {
  const name = t.hook[d] === 0 ? undefined : HOOK_NAMES[t.hook[d] - 1];
  return name === undefined ? 0 : name === "flr" ? 1 : name === "vpd_address" ? 2 : 3;
});
const hostWords = new Uint32Array(CONFIG_DWORDS);
for (let i = 0; i < pair.source.bytes.length && i < 4096; i++) hostWords[i >> 2] |= pair.source.bytes[i] << ((i & 3) * 8);
const vpd = pair.source.vpd ?? new Uint8Array(0);
const parts: ArrayBufferView[] = [
  new Uint32Array([TRACE, pair.table.host.size, vpd.length, t.stateWords]),
  t.hot,
  t.preserve,
  t.initialState,
  hostWords,
  t.hardware.writable,
  t.hardware.w1c,
  t.hardware.rsvdz,
  hookKind,
  vpd,
  trace.op,
  trace.value,
  which,
];
const dir = mkdtempSync(join(tmpdir(), "cfgvirt-bench-c-"));
const exe = join(dir, "hot-path");
const data = join(dir, "trace.bin");
writeFileSync(data, Buffer.concat(parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength))));
const cc = process.env.CC ?? "cc";
const built = spawnSync(cc, ["-O2", "-o", exe, join(here, "..", "..", "bench", "hot-path.c")], { encoding: "utf8" });
if (built.error || built.status !== 0) {
  rmSync(dir, { recursive: true, force: true });
  console.log(`bench:c: cannot build with ${cc}: ${built.error?.message ?? built.stderr}`);
  process.exit(1);
}
const c = spawn(exe, [data, String(MANY)], { stdio: ["pipe", "pipe", "inherit"] });
const replies = createInterface({ input: c.stdout })[Symbol.asyncIterator]();
interface Round {
  readonly sum: number;
  /** Accesses per second of wall time and of CPU time. */
  readonly rate: number;
  readonly cpuRate: number;
}
/** One C round: `n` accesses on one device or over MANY (timed inside C). */
async function runC(which: "one" | "many", n: number): Promise<Round> {
  c.stdin.write(`${which} ${n}\n`);
  const line = await replies.next();
  if (line.done) throw new Error("bench:c: the C program stopped");
  const [sum, seconds, cpuSeconds] = line.value.split(" ").map(Number);
  return { sum, rate: n / seconds, cpuRate: n / cpuSeconds };
}
function runJs(pass: (n: number) => number, n: number): Round {
  const cpu = process.cpuUsage();
  const t = performance.now();
  const sum = pass(n);
  const seconds = (performance.now() - t) / 1000;
  const used = process.cpuUsage(cpu);
  return { sum, rate: n / seconds, cpuRate: n / ((used.user + used.system) / 1e6) };
}

try {
  const one = freshTableDevice(pair);
  const pool = manyTableDevices(pair, MANY);
  // The same trace through each function's VirtualDevice object, on a second pool: for comparison only.
  const viaObjects = manyTableDevices(pair, MANY).devices;
  const js = {
    one: (n: number) => runTable(one, trace, n),
    many: (n: number) => runMany(pool.states, which, trace, n),
    objects: (n: number) => runDevices(viaObjects, which, trace, n),
  };
  // Checksum pass from the state after attach, then warm-up passes.
  const sums = { jsOne: js.one(TRACE), jsMany: js.many(TRACE), cOne: (await runC("one", TRACE)).sum, cMany: (await runC("many", TRACE)).sum };
  js.objects(TRACE);
  // Short calls first, so that V8 optimizes each loop as a function with the
  // type feedback of whole passes, not only as the loop the checksum pass was
  // in (on-stack replacement, before some paths had run). Otherwise a run now
  // and then times a loop that bailed out and runs ~10% slower.
  for (let k = 0; k < 64; k++) js.one(TRACE >> 4), js.many(TRACE >> 4), js.objects(TRACE >> 4);
  if (sums.jsOne !== sums.cOne || sums.jsMany !== sums.cMany) {
    throw new Error(`bench:c: JS and C disagree on the trace (checksums ${sums.jsOne}/${sums.cOne}, ${sums.jsMany}/${sums.cMany})`);
  }
  const N = TRACE * REPEAT;
  js.one(N), js.many(N), js.objects(N), await runC("one", N), await runC("many", N);
  const names = ["jsOne", "cOne", "jsMany", "cMany", "jsObjects"] as const;
  type Name = (typeof names)[number];
  const wall = Object.fromEntries(names.map((k) => [k, [] as number[]])) as Record<Name, number[]>;
  const cpu = Object.fromEntries(names.map((k) => [k, [] as number[]])) as Record<Name, number[]>;
  const keep = (k: Name, round: Round) => (wall[k].push(round.rate), cpu[k].push(round.cpuRate));
  const load0 = loadavg()[0];
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate which goes first, so that neither always runs on a warmer or cooler machine.
    const steps: (() => Promise<void>)[] = [
      async () => void keep("jsOne", runJs(js.one, N)),
      async () => void keep("cOne", await runC("one", N)),
      async () => void keep("jsMany", runJs(js.many, N)),
      async () => void keep("cMany", await runC("many", N)),
      async () => void keep("jsObjects", runJs(js.objects, N)),
    ];
    if (round % 2 === 1) steps.reverse();
    for (const step of steps) await step();
  }
  const load1 = loadavg()[0];
  const per = (a: number[], b: number[]) => a.map((x, i) => x / b[i]);
  const ratiosOf = (r: Record<Name, number[]>) => ({
    jsOverC: per(r.jsOne, r.cOne),
    manyJsOverC: per(r.jsMany, r.cMany),
    jsManySlowdown: per(r.jsOne, r.jsMany),
    cManySlowdown: per(r.cOne, r.cMany),
    objectsSlowdown: per(r.jsOne, r.jsObjects),
  });
  const M = (xs: number[]) => {
    const s = spreadOf(xs);
    return `${(s.min / 1e6).toFixed(1)}M / ${(s.median / 1e6).toFixed(1)}M / ${(s.max / 1e6).toFixed(1)}M (${(1e9 / s.median).toFixed(1)} ns)`;
  };
  const X = (xs: number[], pct = false) => {
    const s = spreadOf(xs);
    const f = (n: number) => (pct ? `${(n * 100).toFixed(0)}%` : `${n.toFixed(2)}x`);
    return `${f(s.min)} / ${f(s.median)} / ${f(s.max)}`;
  };
  console.log(`device: ${BENCH_DEVICE}; ${TRACE} accesses a pass, ${REPEAT} passes a round, ${ROUNDS} rounds, JS and C interleaved; load average ${load0.toFixed(2)} -> ${load1.toFixed(2)}`);
  console.log("min / median / max accesses/s; ratios taken per round");
  for (const [title, r] of [["wall clock", wall], ["CPU time", cpu]] as const) {
    const x = ratiosOf(r);
    console.log(`${title}:`);
    console.log(`  one device:      JS ${M(r.jsOne)}   C -O2 ${M(r.cOne)}   JS/C ${X(x.jsOverC, true)}`);
    console.log(`  ${MANY} VFs:      JS ${M(r.jsMany)}   C -O2 ${M(r.cMany)}   JS/C ${X(x.manyJsOverC, true)}`);
    console.log(`    slower than one device: JS ${X(x.jsManySlowdown)}, C ${X(x.cManySlowdown)} (one pool, function by number)`);
    console.log(`    via VirtualDevice objects: JS ${M(r.jsObjects)}, ${X(x.objectsSlowdown)} slower than one device`);
  }
  const w = ratiosOf(wall);
  const u = ratiosOf(cpu);
  const m3 = (xs: number[]) => Number(median(xs).toFixed(3));
  console.log(
    JSON.stringify({
      tableAccessesPerSec: Math.round(median(wall.jsOne)),
      cAccessesPerSec: Math.round(median(wall.cOne)),
      jsOverC: m3(w.jsOverC),
      manyDevicesAccessesPerSec: Math.round(median(wall.jsMany)),
      cManyDevicesAccessesPerSec: Math.round(median(wall.cMany)),
      manyJsOverC: m3(w.manyJsOverC),
      manySlowdown: m3(w.jsManySlowdown),
      cManySlowdown: m3(w.cManySlowdown),
      cpuJsOverC: m3(u.jsOverC),
      cpuManySlowdown: m3(u.jsManySlowdown),
      cpuCManySlowdown: m3(u.cManySlowdown),
      loadAverage: Number(((load0 + load1) / 2).toFixed(2)),
    }),
  );
} finally {
  c.stdin.end();
  rmSync(dir, { recursive: true, force: true });
}
