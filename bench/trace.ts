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
import type { DeviceTables } from "../src/runtime/tables.js";
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
  /**
   * kind, size and offset of access j in one word (kind | size << 1 | offset << 4),
   * what the timed loops read (here and in hot-path.c): one array load per
   * access instead of three, each of which JS checks (type and bounds).
   */
  readonly op: Uint32Array;
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
  const op = new Uint32Array(TRACE);
  for (let i = 0; i < TRACE; i++) op[i] = kind[i] | (size[i] << 1) | (offset[i] << 4);
  return { kind, offset, size, value, op };
}

/**
 * Run `n` accesses of the trace; returns a checksum of the reads so the work
 * is not optimised away. One copy of the loop per implementation, so that each
 * call site sees one receiver type (a shared loop would be polymorphic and
 * measure V8's inline caches, not the runtime).
 */
export function runTable(t: VirtualDevice, trace: Trace, n: number): number {
  const { op, value } = trace;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const j = i & MASK;
    const o = op[j];
    if ((o & 1) === 0) sum = (sum + t.read(o >>> 4, (o >>> 1) & 7)) | 0;
    else t.write(o >>> 4, (o >>> 1) & 7, value[j]);
  }
  return sum;
}

export function runReference(t: ReferenceDevice, trace: Trace, n: number): number {
  const { op, value } = trace;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const j = i & MASK;
    const o = op[j];
    if ((o & 1) === 0) sum = (sum + t.read(o >>> 4, (o >>> 1) & 7)) | 0;
    else t.write(o >>> 4, (o >>> 1) & 7, value[j]);
  }
  return sum;
}

/**
 * The same trace spread over many functions of one pool: access i goes to
 * function `which[i]`, addressed by number as a PF's trap handler would (and
 * as hot-path.c does).
 */
export function runMany(states: DeviceStates, which: Uint16Array, trace: Trace, n: number): number {
  const { op, value } = trace;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const j = i & MASK;
    const fn = which[j];
    const o = op[j];
    if ((o & 1) === 0) sum = (sum + states.read(fn, o >>> 4, (o >>> 1) & 7)) | 0;
    else states.write(fn, o >>> 4, (o >>> 1) & 7, value[j]);
  }
  return sum;
}

/** The same, through each function's VirtualDevice object (one more object per access to load first). */
export function runDevices(devices: readonly VirtualDevice[], which: Uint16Array, trace: Trace, n: number): number {
  const { op, value } = trace;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const j = i & MASK;
    const t = devices[which[j]];
    const o = op[j];
    if ((o & 1) === 0) sum = (sum + t.read(o >>> 4, (o >>> 1) & 7)) | 0;
    else t.write(o >>> 4, (o >>> 1) & 7, value[j]);
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

/** The host dwords the runtime reads or writes under tables `t` (its passed-through registers; `preserve` is read only where hwWrite is set). */
export const runtimeReaches = (t: DeviceTables) => (d: number): boolean => (t.hwRead[d] | t.hwWrite[d]) !== 0;

/**
 * `count` functions sharing one set of tables (identical VFs): their virtual
 * state in one pool's flat arrays and their simulated hosts in one flat array,
 * both reached by function number; each function's VirtualDevice too.
 */
export function manyTableDevices(pair: DevicePair, count: number): { states: DeviceStates; devices: VirtualDevice[] } {
  const t = pair.table.tables;
  const hooks = standardHooks({ vpd: pair.source.vpd });
  const log = new DeviceLog(() => {});
  const hosts = new HostPool(count, pair.source.bytes, t.hardware, pair.table.host.size, runtimeReaches(t));
  const states = new DeviceStates(t, count, hosts);
  const devices: VirtualDevice[] = [];
  for (let i = 0; i < count; i++) devices.push(new VirtualDevice(t, new PooledHost(hosts, i), log, hooks, states));
  return { states, devices };
}

/** `count` devices each with its own state arrays and host object (as a naive hypervisor would keep them). */
export function scatteredTableDevices(pair: DevicePair, count: number): VirtualDevice[] {
  const hooks = standardHooks({ vpd: pair.source.vpd });
  const out: VirtualDevice[] = [];
  for (let i = 0; i < count; i++) out.push(new VirtualDevice(pair.table.tables, newHost(pair), new DeviceLog(() => {}), hooks));
  return out;
}
