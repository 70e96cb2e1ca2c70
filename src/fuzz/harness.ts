// Differential harness: one device opened twice, through the table runtime
// (openSource) and through the reference interpreter, each over its own
// simulated host with the same bytes; run the same accesses on both and
// compare every read, the final host bytes and the virtual state; check the
// security invariants on the way.
import { compileDevice } from "../compile/pipeline.js";
import { throwIfErrors } from "../diag/diagnostic.js";
import { SimulatedDevice } from "../host/simulated.js";
import { type DeviceSource, type OpenedDevice, type OpenOptions, openSource, readDeviceSource, sourceSizes } from "../open-device.js";
import { standardHooks } from "../runtime/hooks.js";
import { DeviceLog } from "../runtime/log.js";
import { type HookHandler, VirtualDevice } from "../runtime/virtual-device.js";
import type * as A from "../syntax/ast.js";
import { CountingHost } from "./counting-host.js";
import { type HookCall, ReferenceDevice } from "./reference/device.js";

export type GuestAccess =
  | { readonly kind: "r"; readonly offset: number; readonly size: number }
  | { readonly kind: "w"; readonly offset: number; readonly size: number; readonly value: number };

export interface DevicePair {
  readonly source: DeviceSource;
  readonly table: OpenedDevice;
  /** The table runtime's host, counting the reads and writes that reach it. */
  readonly tableHost: CountingHost;
  /** Hooks the table runtime ran, to compare with the reference's own decisions. */
  readonly tableHookCalls: HookCall[];
  readonly ref: ReferenceDevice;
  readonly refHost: SimulatedDevice;
  /** Host words at attach, for the invariants. */
  readonly initialHost: Uint32Array;
  /** Per dword, from the reference: bits that always read their constant. */
  readonly hidden: Uint32Array;
  /** Per dword, from the reference: bits whose guest value reaches the hardware. */
  readonly passedWritable: Uint32Array;
}

export interface PairOptions extends Omit<OpenOptions, "policy" | "onHook" | "tableCache"> {
  /** Replace the host's configuration bytes (a mutated host state). */
  readonly bytes?: Uint8Array;
  /**
   * A device file to apply instead of the one that matches (fuzzed policies):
   * the compiler resolves it for the table runtime, the reference reads it itself.
   */
  readonly device?: A.Device;
}

/** Open a device source through both implementations. Throws what attach throws. */
export function openPairFromSource(source0: DeviceSource, opts: PairOptions = {}): DevicePair {
  const source = opts.bytes ? { ...source0, bytes: opts.bytes } : source0;
  let policy;
  if (opts.device) {
    const resolved = compileDevice(opts.device, source.compiled.layoutsByName);
    throwIfErrors(resolved.diagnostics);
    policy = resolved.policy;
  }
  const tableHookCalls: HookCall[] = [];
  const hooks = standardHooks({ vpd: source.vpd });
  const onHook: HookHandler = (device, hook, dword, written, trapped) => {
    tableHookCalls.push({ hook, dword, written, trapped });
    hooks(device, hook, dword, written, trapped);
  };
  const opened = openSource(source, { ...opts, policy, onHook });
  // The same attached tables, reading the host through a counter.
  const tableHost = new CountingHost(opened.device.host);
  const table = { ...opened, device: new VirtualDevice(opened.tables, tableHost, new DeviceLog(opts.log ?? (() => {})), onHook) };
  const refHost = new SimulatedDevice(source.bytes);
  const ref = new ReferenceDevice(source.compiled.ruleSet, refHost, {
    device: opts.device,
    allowBridge: opts.allowBridge,
    // As openSource sizes them: options, then the device file, then the sizes the source carries.
    barSizes: opts.barSizes,
    romSize: opts.romSize,
    inputSizes: opts.inputSizes ?? source.inputSizes ?? sourceSizes(source),
    vpd: source.vpd,
  });
  refHost.setBehaviour(ref.hardware);
  const hidden = new Uint32Array(1024);
  const passedWritable = new Uint32Array(1024);
  for (let d = 0; d < 1024; d++) {
    hidden[d] = ref.hiddenMask(d);
    passedWritable[d] = ref.passedWritableMask(d);
  }
  return { source, table, tableHost, tableHookCalls, ref, refHost, initialHost: Uint32Array.from(refHost.words), hidden, passedWritable };
}

export function openPair(path: string, opts: PairOptions = {}): DevicePair {
  return openPairFromSource(readDeviceSource(path, opts.rules ?? []), opts);
}

export interface Mismatch {
  /** Index of the access after which the disagreement showed (accesses.length: at the end). */
  readonly index: number;
  readonly message: string;
}

const hex = (v: number, digits = 8) => "0x" + (v >>> 0).toString(16).padStart(digits, "0");

function describeAccess(a: GuestAccess): string {
  return a.kind === "r" ? `r ${hex(a.offset, 3)} ${a.size}` : `w ${hex(a.offset, 3)} ${a.size} ${hex(a.value, a.size * 2)}`;
}

/** Compare the final states: host bytes, virtual state, behaviour of the hosts. */
export function compareState(pair: DevicePair, index: number): Mismatch | undefined {
  const a = pair.table.host.words;
  const b = pair.refHost.words;
  for (let d = 0; d < 1024; d++) {
    if (a[d] !== b[d]) return { index, message: `host dword ${hex(d * 4, 3)}: table runtime ${hex(a[d])}, reference ${hex(b[d])}` };
  }
  const s = pair.table.device.shadow;
  const r = pair.ref.shadow;
  for (let d = 0; d < 1024; d++) {
    if (s.get(d) !== r[d]) return { index, message: `virtual dword ${hex(d * 4, 3)}: table runtime ${hex(s.get(d))}, reference ${hex(r[d])}` };
  }
  return undefined;
}

/**
 * Security invariants over the whole space: hidden bits read their constant;
 * host bits whose guest value the rules do not pass through have not changed,
 * except RsvdZ bits the simulated hardware clears on any write.
 */
export function checkInvariants(pair: DevicePair, index: number, first = 0, last = 1023): Mismatch | undefined {
  // The checks' own reads are not guest accesses: they do not count as host traffic.
  const { reads, writes } = pair.tableHost;
  try {
    return invariantsOf(pair, index, first, last);
  } finally {
    pair.tableHost.reads = reads;
    pair.tableHost.writes = writes;
  }
}

function invariantsOf(pair: DevicePair, index: number, first: number, last: number): Mismatch | undefined {
  const { ref, table } = pair;
  for (let d = first; d <= last; d++) {
    const hidden = pair.hidden[d];
    if (hidden !== 0) {
      const seen = table.device.read(d * 4, 4);
      if (((seen ^ ref.initialShadow[d]) & hidden) !== 0) {
        return { index, message: `hidden bits of dword ${hex(d * 4, 3)} read ${hex(seen & hidden)}, their constant is ${hex(ref.initialShadow[d] & hidden)}` };
      }
    }
    const guarded = ~pair.passedWritable[d] >>> 0;
    const before = pair.initialHost[d];
    const after = table.host.words[d];
    const changed = (before ^ after) & guarded;
    const allowed = before & ~after & ref.hardware.rsvdz[d];
    if ((changed & ~allowed) !== 0) {
      return { index, message: `host dword ${hex(d * 4, 3)}: bits ${hex(changed & ~allowed)} changed (${hex(before)} -> ${hex(after)}) although the rules do not pass them through` };
    }
  }
  return undefined;
}

/** Compare the hooks both sides ran for the last access, then forget them. */
function compareHookCalls(pair: DevicePair, index: number): Mismatch | undefined {
  const a = pair.tableHookCalls;
  const b = pair.ref.hookCalls;
  if (a.length === 0 && b.length === 0) return undefined;
  let m: Mismatch | undefined;
  const show = (c: HookCall | undefined) => (c ? `${c.hook} at ${hex(c.dword * 4, 3)} (written ${hex(c.written)}, trapped ${hex(c.trapped)})` : "no hook");
  for (let k = 0; k < Math.max(a.length, b.length) && !m; k++) {
    const x = a[k];
    const y = b[k];
    if (!x || !y || x.hook !== y.hook || x.dword !== y.dword || x.written >>> 0 !== y.written >>> 0 || x.trapped >>> 0 !== y.trapped >>> 0) {
      m = { index, message: `hook run ${k + 1}: table runtime ${show(x)}, reference ${show(y)}` };
    }
  }
  a.length = 0;
  b.length = 0;
  return m;
}

/** Compare host and virtual state of dwords first..last. */
function compareDwords(pair: DevicePair, index: number, first: number, last: number): Mismatch | undefined {
  const a = pair.table.host.words;
  const b = pair.refHost.words;
  const s = pair.table.device.shadow;
  const r = pair.ref.shadow;
  for (let d = first; d <= last; d++) {
    if (a[d] !== b[d]) return { index, message: `host dword ${hex(d * 4, 3)}: table runtime ${hex(a[d])}, reference ${hex(b[d])}` };
    if (s.get(d) !== r[d]) return { index, message: `virtual dword ${hex(d * 4, 3)}: table runtime ${hex(s.get(d))}, reference ${hex(r[d])}` };
  }
  return undefined;
}

export interface RunOptions {
  /** Check the security invariants (default true; off for a permissive device or a removed host). */
  readonly invariants?: boolean;
  /**
   * Also check them over the whole space at the end (default true). Without
   * hooks, a write changes only its own dwords, which are checked after it;
   * a campaign checks the whole space once at attach and passes false, and the
   * scan still runs after any hook (FLR and VPD change other dwords).
   */
  readonly finalScan?: boolean;
}

/**
 * Run accesses on both implementations. Returns the first disagreement (a read,
 * an exception, or the final state), or undefined when they agree.
 */
export function runPair(pair: DevicePair, accesses: readonly GuestAccess[], opts: RunOptions = {}): Mismatch | undefined {
  const dev = pair.table.device;
  const ref = pair.ref;
  let hooked = false;
  for (let i = 0; i < accesses.length; i++) {
    const a = accesses[i];
    let got: number;
    let want: number;
    try {
      if (a.kind === "w") {
        dev.write(a.offset, a.size, a.value);
        ref.write(a.offset, a.size, a.value);
        if (!(a.offset >= 0 && a.offset <= 4095 && Number.isInteger(a.offset))) continue;
        const first = a.offset >> 2;
        const last = Math.min(1023, (a.offset + 3) >> 2);
        hooked ||= pair.tableHookCalls.length > 0 || ref.hookCalls.length > 0;
        const m = compareHookCalls(pair, i) ?? compareDwords(pair, i, first, last) ?? (opts.invariants === false ? undefined : checkInvariants(pair, i, first, last));
        if (m) return { index: m.index, message: `after ${describeAccess(a)}: ${m.message}` };
        continue;
      }
      got = dev.read(a.offset, a.size);
      want = ref.read(a.offset, a.size);
    } catch (e) {
      return { index: i, message: `${describeAccess(a)} threw: ${(e as Error).stack ?? e}` };
    }
    if (got !== want) {
      const diff = (got ^ want) >>> 0;
      const bit = 31 - Math.clz32(diff & -diff);
      const rule = ref.ruleAt(a.offset + (bit >> 3), bit & 7);
      return { index: i, message: `${describeAccess(a)}: table runtime ${hex(got, a.size * 2)}, reference ${hex(want, a.size * 2)} (first differing bit ${bit}: ${rule.what})` };
    }
  }
  const scan = opts.invariants !== false && (opts.finalScan !== false || hooked);
  return compareState(pair, accesses.length) ?? (scan ? checkInvariants(pair, accesses.length) : undefined);
}

/** Reset both sides to the state after attach (shadow and host bytes). */
export function resetPair(pair: DevicePair): void {
  pair.tableHookCalls.length = 0;
  pair.ref.hookCalls.length = 0;
  pair.table.device.resetShadow();
  pair.ref.resetShadow();
  pair.table.host.words.set(pair.initialHost);
  pair.refHost.words.set(pair.initialHost);
}
