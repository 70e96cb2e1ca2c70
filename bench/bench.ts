// `npm run bench`: the same mixed guest access trace through the table runtime
// and the reference interpreter, in one process. Prints a summary, then LAST
// one JSON line: {"tableAccessesPerSec":N,"referenceAccessesPerSec":N,"ratio":N}.
//
// The trace: 65536 accesses over a real device (../shared/devices/intel-82576-nic.lspci,
// else the example NIC), pre-generated into typed arrays so that the timed loop
// allocates nothing: 70% reads, 30% writes; sizes 1, 2, 4 in equal shares,
// naturally aligned; offsets drawn from the device's visible registers (90%)
// and anywhere in the 4 KiB space (10%, mostly default-deny bytes).
import { existsSync } from "node:fs";
import { join } from "node:path";
import { openPair } from "../src/fuzz/harness.js";
import { DEFAULT_EXAMPLE } from "../src/open-device.js";
import { packageRoot } from "../src/paths.js";
import type { ReferenceDevice } from "../src/fuzz/reference/device.js";
import type { VirtualDevice } from "../src/runtime/virtual-device.js";
import { socketBench, socketBenchLine } from "./socket.js";

const TRACE = 1 << 16;
const MASK = TRACE - 1;


function makeTrace(registers: readonly number[]) {
  const kind = new Uint8Array(TRACE);
  const offset = new Uint16Array(TRACE);
  const size = new Uint8Array(TRACE);
  const value = new Uint32Array(TRACE);
  let x = 0x9e3779b9;
  const next = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
  for (let i = 0; i < TRACE; i++) {
    const s = [1, 2, 4][next() % 3];
    const base = next() % 10 === 0 ? next() % 4096 : registers[next() % registers.length] + (next() % 4);
    kind[i] = next() % 10 < 7 ? 0 : 1;
    size[i] = s;
    offset[i] = Math.min(4096 - s, base - (base % s));
    value[i] = next();
  }
  return { kind, offset, size, value };
}

type Trace = ReturnType<typeof makeTrace>;

/**
 * Run `n` accesses of the trace; returns a checksum so the work is not
 * optimised away. Two copies of the same loop, one per implementation, so
 * that each call site sees one receiver type (a shared loop would be
 * polymorphic and measure V8's inline caches, not the runtime).
 */
function runTable(t: VirtualDevice, trace: Trace, n: number): number {
  const { kind, offset, size, value } = trace;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const j = i & MASK;
    if (kind[j] === 0) sum = (sum + t.read(offset[j], size[j])) | 0;
    else t.write(offset[j], size[j], value[j]);
  }
  return sum;
}

function runReference(t: ReferenceDevice, trace: Trace, n: number): number {
  const { kind, offset, size, value } = trace;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const j = i & MASK;
    if (kind[j] === 0) sum = (sum + t.read(offset[j], size[j])) | 0;
    else t.write(offset[j], size[j], value[j]);
  }
  return sum;
}

/** Accesses per second: repeat the trace until `seconds` have passed. */
function measure(run: (n: number) => number, seconds: number, chunk: number): number {
  run(chunk); // warm-up
  run(chunk);
  let done = 0;
  const start = performance.now();
  let now = start;
  while (now - start < seconds * 1000) {
    run(chunk);
    done += chunk;
    now = performance.now();
  }
  return done / ((now - start) / 1000);
}

const dump = join(packageRoot, "..", "shared", "devices", "intel-82576-nic.lspci");
const device = existsSync(dump) ? dump : DEFAULT_EXAMPLE;
const pair = openPair(device);
const registers: number[] = [];
for (const p of pair.ref.placements) {
  if (!p.visible) continue;
  for (let o = p.base; o < p.base + p.size; o += 4) registers.push(o);
}
const trace = makeTrace(registers);

// Both implementations must agree on this trace before their speed means anything.
const check = { table: runTable(pair.table.device, trace, TRACE), reference: runReference(pair.ref, trace, TRACE) };
if (check.table !== check.reference) throw new Error(`bench: the table runtime and the reference disagree on the trace (${check.table} vs ${check.reference})`);

const table = measure((n) => runTable(pair.table.device, trace, n), 2, TRACE * 16);
const reference = measure((n) => runReference(pair.ref, trace, n), 2, TRACE / 4);
const ratio = table / reference;
const m = (n: number) => `${(n / 1e6).toFixed(2)}M`;
console.log(`device: ${device}`);
console.log(`trace: ${TRACE} accesses (70% reads, 30% writes; sizes 1/2/4, aligned; offsets from ${registers.length} register dwords, 10% anywhere)`);
console.log(`table runtime:         ${m(table)} accesses/s (${(1e9 / table).toFixed(1)} ns each)`);
console.log(`reference interpreter: ${m(reference)} accesses/s (${(1e9 / reference).toFixed(1)} ns each)`);
console.log(`ratio: ${ratio.toFixed(1)}x  (targets: table >= 50M/s, ratio >= 20x)`);
console.log(socketBenchLine(await socketBench(device)));
console.log(JSON.stringify({ tableAccessesPerSec: Math.round(table), referenceAccessesPerSec: Math.round(reference), ratio: Number(ratio.toFixed(2)) }));
