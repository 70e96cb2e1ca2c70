// What attach produces for one device: per-dword masks, the interleaved copy
// the hot path reads, the hardware behaviour, and where each layout went.
import type { DevicePolicy } from "../compile/resolve/device.js";
import type { Template } from "../compile/template.js";
import { CONFIG_DWORDS, type HardwareBehaviour } from "../host/host.js";
import type { BarInfo } from "./bars.js";
import type { FoundCapability } from "./chains.js";

export interface PlacedLayout {
  readonly template: Template;
  readonly offset: number;
  readonly size: number;
  /** Per guard of the template: whether it holds on this device. */
  readonly guards: readonly boolean[];
  readonly visible: boolean;
  /** Why it is hidden, or that it is shown. */
  readonly reason: string;
}

/** An unknown capability on the host: no rule describes it, so it is hidden. */
export interface UnknownCapability {
  readonly found: FoundCapability;
}

/** Per-dword tables for one attached device. Identical devices may share them. */
export interface DeviceTables {
  readonly hwRead: Uint32Array;
  readonly virtRead: Uint32Array;
  readonly virtWrite: Uint32Array;
  readonly virtW1C: Uint32Array;
  readonly hwWrite: Uint32Array;
  readonly preserve: Uint32Array;
  /**
   * What the hot path reads, interleaved per dword (HOT_STRIDE words: see
   * HOT): one trapped access touches one cache line, not eight arrays.
   */
  readonly hot: Uint32Array;
  /**
   * Per dword, where a function keeps its virtual copy: an index into the
   * function's STATE words, or 0 for a dword with no virtual state (word 0 of
   * every function is a constant 0). See assignSlots.
   */
  readonly slot: Uint16Array;
  /** Words of virtual state per function (slots, with word 0): a power of two, at least 16 (whole cache lines; function fn's words start at fn << log2). */
  readonly stateWords: number;
  /** A function's virtual state after attach, by slot (initialShadow, compacted). */
  readonly initialState: Uint32Array;
  /** Per dword, 1 + index into HOOK_NAMES, or 0. */
  readonly hook: Uint8Array;
  /** Per dword, the bits of trapped fields: a write that misses them calls no hook. */
  readonly hookBits: Uint32Array;
  /** Bits no rule covers and the default denies (for the log). */
  readonly denied: Uint32Array;
  readonly initialShadow: Uint32Array;
  /** Bits covered by an explicit rule of a visible layout. */
  readonly covered: Uint32Array;
  /** Passed-through bits of constant fields, served from the attach-time snapshot (never read from the host). */
  readonly snapshot: Uint32Array;
  readonly hardware: HardwareBehaviour;
  readonly placed: readonly PlacedLayout[];
  readonly unknown: readonly UnknownCapability[];
  readonly bars: readonly BarInfo[];
  readonly policy: DevicePolicy;
  readonly headerType: number;
  readonly notes: readonly string[];
}

/** Whether dword `d` has virtual state a function must keep: emulated bits the guest, a hook or the platform can see or change. */
function needsSlot(t: Pick<DeviceTables, "virtRead" | "virtWrite" | "virtW1C" | "covered" | "initialShadow">, d: number): boolean {
  // Bits no rule covers (default deny, past the host's size) read a constant
  // 0 from the shadow and take no writes: they need no per-function word.
  return ((t.virtRead[d] & t.covered[d]) | t.virtWrite[d] | t.virtW1C[d] | t.initialShadow[d]) !== 0;
}

/**
 * Give each dword with virtual state a slot in a function's state, in dword
 * order from 1. The 82576 has ~50 such dwords of 1024: a function keeps 256
 * bytes, not 4 KiB, so that 10,000 VFs' state fits in the caches (and the
 * lines of one function's registers are few).
 */
export function assignSlots(t: Pick<DeviceTables, "virtRead" | "virtWrite" | "virtW1C" | "covered" | "initialShadow">): Pick<DeviceTables, "slot" | "stateWords" | "initialState"> {
  const slot = new Uint16Array(CONFIG_DWORDS);
  let next = 1;
  for (let d = 0; d < CONFIG_DWORDS; d++) if (needsSlot(t, d)) slot[d] = next++;
  let stateWords = 16;
  while (stateWords < next) stateWords *= 2;
  const initialState = new Uint32Array(stateWords);
  for (let d = 0; d < CONFIG_DWORDS; d++) if (slot[d] !== 0) initialState[slot[d]] = t.initialShadow[d];
  return { slot, stateWords, initialState };
}

/**
 * Copies of a `hot` array that the runtime's pools keep beside their state
 * (pool-memory.ts), by the array they copy: packHot refreshes them. Weak both
 * ways, so that neither the tables nor a pool are kept alive by the other.
 */
const hotCopies = new WeakMap<Uint32Array, WeakRef<Int32Array>[]>();

/** Copy `hot` into the start of `mem` and keep the copy as packHot changes `hot`. */
export function registerHotCopy(hot: Uint32Array, mem: Int32Array): void {
  mem.set(hot);
  const live = (hotCopies.get(hot) ?? []).filter((r) => r.deref() !== undefined);
  live.push(new WeakRef(mem));
  hotCopies.set(hot, live);
}

/**
 * Interleave the per-mask arrays and the slots into `hot` (again, after a
 * test changed a mask array). Slots stay as attach assigned them (pools are
 * sized by them): a change that gives a dword without a slot virtual state
 * is refused.
 */
export function packHot(t: Pick<DeviceTables, "hwRead" | "virtRead" | "virtWrite" | "virtW1C" | "hwWrite" | "hookBits" | "denied" | "covered" | "initialShadow" | "slot" | "hot">): void {
  for (let d = 0; d < CONFIG_DWORDS; d++) {
    if (t.slot[d] === 0 && needsSlot(t, d)) throw new Error(`packHot: dword ${d} has virtual state but no slot; attach again`);
    const i = d * HOT_STRIDE;
    t.hot[i + HOT.hwRead] = t.hwRead[d];
    t.hot[i + HOT.virtRead] = t.virtRead[d];
    t.hot[i + HOT.virtWrite] = t.virtWrite[d];
    t.hot[i + HOT.virtW1C] = t.virtW1C[d];
    t.hot[i + HOT.hwWrite] = t.hwWrite[d];
    t.hot[i + HOT.slot] = t.slot[d];
    t.hot[i + HOT.hookBits] = t.hookBits[d];
    t.hot[i + HOT.denied] = t.denied[d];
  }
  for (const copy of hotCopies.get(t.hot) ?? []) copy.deref()?.set(t.hot);
}

/**
 * Word positions within a dword's entry of DeviceTables.hot. `preserve` is
 * not among them: only a write that reaches the hardware reads it, and the
 * slot takes its place, so that an entry stays 32 bytes.
 */
export const HOT = { hwRead: 0, virtRead: 1, virtWrite: 2, virtW1C: 3, hwWrite: 4, slot: 5, hookBits: 6, denied: 7 } as const;
export const HOT_STRIDE = 8;
