// The benchmark's device and access trace, shared by `npm run bench` and
// `npm run bench:c` so that both time the same accesses.
//
// The trace: 65536 accesses over a real device (../shared/devices/intel-82576-nic.lspci,
// else the example NIC), pre-generated into typed arrays so that the timed loop
// allocates nothing: 70% reads, 30% writes; sizes 1, 2, 4 in equal shares,
// naturally aligned; offsets drawn from the device's visible registers (90%)
// and anywhere in the 4 KiB space (10%, mostly default-deny bytes).
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { DevicePair } from "../src/fuzz/harness.js";
import type { ReferenceDevice } from "../src/fuzz/reference/device.js";
import type { HostDevice } from "../src/host/host.js";
import { SimulatedDevice } from "../src/host/simulated.js";
import { DEFAULT_EXAMPLE } from "../src/open-device.js";
import { packageRoot } from "../src/paths.js";
import { standardHooks } from "../src/runtime/hooks.js";
import { DeviceLog } from "../src/runtime/log.js";
import { DeviceStates, VirtualDevice } from "../src/runtime/virtual-device.js";
import { HostPool, PooledHost } from "./pooled-host.js";

export const TRACE = 1 << 16;
const MASK = TRACE - 1;

const dump = join(packageRoot, "..", "shared", "devices", "intel-82576-nic.lspci");
export const BENCH_DEVICE = existsSync(dump) ? dump : DEFAULT_EXAMPLE;

export interface Trace {
  readonly kind: Uint8Array;
  readonly offset: Uint16Array;
  readonly size: Uint8Array;
  readonly value: Uint32Array;
}

/** A deterministic xorshift32 stream. */
export function xorshift(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

/** The dword offsets of the visible layouts, as the reference placed them. */
export function registerDwords(ref: ReferenceDevice): number[] {
  const out: number[] = [];
  for (const p of ref.placements) {
    if (!p.visible) continue;
    for (let o = p.base; o < p.base + p.size; o += 4) out.push(o);
  }
  return out;
}

export function makeTrace(registers: readonly number[]): Trace {
  const kind = new Uint8Array(TRACE);
  const offset = new Uint16Array(TRACE);
  const size = new Uint8Array(TRACE);
  const value = new Uint32Array(TRACE);
  const next = xorshift(0x9e3779b9);
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

/**
 * Run `n` accesses of the trace; returns a checksum of the reads so the work
 * is not optimised away. One copy of the loop per implementation, so that each
 * call site sees one receiver type (a shared loop would be polymorphic and
 * measure V8's inline caches, not the runtime).
 */
export function runTable(t: VirtualDevice, trace: Trace, n: number): number {
  const { kind, offset, size, value } = trace;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const j = i & MASK;
    if (kind[j] === 0) sum = (sum + t.read(offset[j], size[j])) | 0;
    else t.write(offset[j], size[j], value[j]);
  }
  return sum;
}

export function runReference(t: ReferenceDevice, trace: Trace, n: number): number {
  const { kind, offset, size, value } = trace;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const j = i & MASK;
    if (kind[j] === 0) sum = (sum + t.read(offset[j], size[j])) | 0;
    else t.write(offset[j], size[j], value[j]);
  }
  return sum;
}

/** The same trace spread over many devices: access i goes to device `which[i]`. */
export function runMany(devices: readonly VirtualDevice[], which: Uint16Array, trace: Trace, n: number): number {
  const { kind, offset, size, value } = trace;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const j = i & MASK;
    const t = devices[which[j]];
    if (kind[j] === 0) sum = (sum + t.read(offset[j], size[j])) | 0;
    else t.write(offset[j], size[j], value[j]);
  }
  return sum;
}

/** Which of `count` devices each access of the trace goes to (uniform, deterministic). */
export function spread(count: number): Uint16Array {
  const which = new Uint16Array(TRACE);
  const next = xorshift(0x2545f491);
  for (let i = 0; i < TRACE; i++) which[i] = next() % count;
  return which;
}

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export const spreadOf = (xs: readonly number[]) => ({ min: Math.min(...xs), median: median(xs), max: Math.max(...xs) });

/** A simulated host with the device's bytes and the attached tables' hardware behaviour. */
export function newHost(pair: DevicePair): SimulatedDevice {
  const host = new SimulatedDevice(pair.source.bytes);
  host.setBehaviour(pair.table.tables.hardware);
  return host;
}

/** A table-runtime device over its own host, as `openSource` builds it (no counting, no recording). */
export function freshTableDevice(pair: DevicePair, host: HostDevice = newHost(pair)): VirtualDevice {
  return new VirtualDevice(pair.table.tables, host, new DeviceLog(() => {}), standardHooks({ vpd: pair.source.vpd }));
}

/**
 * `count` devices sharing one set of tables (identical VFs), their virtual
 * state in shared flat arrays and their simulated hosts in one flat array;
 * `scattered`: each device with its own arrays and host object (as before).
 */
export function manyTableDevices(pair: DevicePair, count: number, scattered = false): VirtualDevice[] {
  const t = pair.table.tables;
  const hooks = standardHooks({ vpd: pair.source.vpd });
  const log = new DeviceLog(() => {});
  const out: VirtualDevice[] = [];
  if (scattered) {
    for (let i = 0; i < count; i++) out.push(new VirtualDevice(t, newHost(pair), new DeviceLog(() => {}), hooks));
    return out;
  }
  const hosts = new HostPool(count, pair.source.bytes, t.hardware);
  const states = new DeviceStates(count);
  for (let i = 0; i < count; i++) out.push(new VirtualDevice(t, new PooledHost(hosts, i, pair.table.host.size), log, hooks, states));
  return out;
}
