// `npm run bench:c`: the table runtime's hot path against the same hot path in
// C (bench/hot-path.c, built with the system compiler at -O2), on the same
// tables and the same trace, one device and 10,000; prints both rates and the
// JS/C ratio (min / median / max of rounds), then LAST one JSON line.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HOOK_NAMES } from "../src/compile/vocabulary.js";
import { openPair } from "../src/fuzz/harness.js";
import { CONFIG_DWORDS } from "../src/host/host.js";
import type { VirtualDevice } from "../src/runtime/virtual-device.js";
import { BENCH_DEVICE, freshTableDevice, manyTableDevices, makeTrace, median, registerDwords, runMany, runTable, spread, spreadOf, TRACE } from "./trace.js";

const ROUNDS = 11;
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
  new Uint32Array([TRACE, pair.table.host.size, vpd.length]),
  t.hot,
  t.initialShadow,
  hostWords,
  t.hardware.writable,
  t.hardware.w1c,
  t.hardware.rsvdz,
  hookKind,
  vpd,
  trace.kind,
  trace.size,
  trace.offset,
  trace.value,
  which,
];
const dir = mkdtempSync(join(tmpdir(), "cfgvirt-bench-c-"));
try {
  const data = join(dir, "trace.bin");
  writeFileSync(data, Buffer.concat(parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength))));
  const exe = join(dir, "hot-path");
  const cc = process.env.CC ?? "cc";
  const built = spawnSync(cc, ["-O2", "-o", exe, join(here, "..", "..", "bench", "hot-path.c")], { encoding: "utf8" });
  if (built.error || built.status !== 0) {
    console.log(`bench:c: cannot build with ${cc}: ${built.error?.message ?? built.stderr}`);
    process.exit(1);
  }
  const runC = (devices: number) => {
    const r = spawnSync(exe, [data, String(ROUNDS), String(REPEAT), String(devices)], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`hot-path failed: ${r.stderr}`);
    return JSON.parse(r.stdout) as { checksum: number; accessesPerSec: number[] };
  };

  const jsRates = (devices: readonly VirtualDevice[], w: Uint16Array | undefined) => {
    const one = devices[0];
    const pass = (n: number) => (w ? runMany(devices, w, trace, n) : runTable(one, trace, n));
    const checksum = pass(TRACE);
    pass(TRACE * REPEAT);
    const rates: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const s = performance.now();
      pass(TRACE * REPEAT);
      rates.push((TRACE * REPEAT) / ((performance.now() - s) / 1000));
    }
    return { checksum, rates };
  };

  const jsOne = jsRates([freshTableDevice(pair)], undefined);
  const cOne = runC(1);
  const many = manyTableDevices(pair, MANY);
  const jsMany = jsRates(many, which);
  const cMany = runC(MANY);
  if (jsOne.checksum !== cOne.checksum || jsMany.checksum !== cMany.checksum) {
    throw new Error(`bench:c: JS and C disagree on the trace (checksums ${jsOne.checksum}/${cOne.checksum}, ${jsMany.checksum}/${cMany.checksum})`);
  }
  const M = (xs: number[]) => {
    const s = spreadOf(xs);
    return `${(s.min / 1e6).toFixed(1)}M / ${(s.median / 1e6).toFixed(1)}M / ${(s.max / 1e6).toFixed(1)}M`;
  };
  const ns = (xs: number[]) => `${(1e9 / median(xs)).toFixed(1)} ns`;
  console.log(`device: ${BENCH_DEVICE}; ${TRACE} accesses a pass, ${REPEAT} passes a round, ${ROUNDS} rounds (min / median / max accesses/s)`);
  console.log(`one device:     JS ${M(jsOne.rates)} (${ns(jsOne.rates)}), C -O2 ${M(cOne.accessesPerSec)} (${ns(cOne.accessesPerSec)}); JS/C ${(median(jsOne.rates) / median(cOne.accessesPerSec) * 100).toFixed(0)}%`);
  console.log(`${MANY} devices: JS ${M(jsMany.rates)} (${ns(jsMany.rates)}), C -O2 ${M(cMany.accessesPerSec)} (${ns(cMany.accessesPerSec)}); JS/C ${(median(jsMany.rates) / median(cMany.accessesPerSec) * 100).toFixed(0)}%`);
  console.log(
    JSON.stringify({
      tableAccessesPerSec: Math.round(median(jsOne.rates)),
      cAccessesPerSec: Math.round(median(cOne.accessesPerSec)),
      jsOverC: Number((median(jsOne.rates) / median(cOne.accessesPerSec)).toFixed(3)),
      manyDevicesAccessesPerSec: Math.round(median(jsMany.rates)),
      cManyDevicesAccessesPerSec: Math.round(median(cMany.accessesPerSec)),
      manyJsOverC: Number((median(jsMany.rates) / median(cMany.accessesPerSec)).toFixed(3)),
    }),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
