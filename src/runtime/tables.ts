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
   * The masks the hot path reads, interleaved per dword (HOT_STRIDE words:
   * see HOT): one trapped access touches one cache line, not eight arrays.
   */
  readonly hot: Uint32Array;
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

/** Interleave the per-mask arrays into `hot` (again, after a test changed a mask array). */
export function packHot(t: Pick<DeviceTables, "hwRead" | "virtRead" | "virtWrite" | "virtW1C" | "hwWrite" | "preserve" | "hookBits" | "denied" | "hot">): void {
  for (let d = 0; d < CONFIG_DWORDS; d++) {
    const i = d * HOT_STRIDE;
    t.hot[i + HOT.hwRead] = t.hwRead[d];
    t.hot[i + HOT.virtRead] = t.virtRead[d];
    t.hot[i + HOT.virtWrite] = t.virtWrite[d];
    t.hot[i + HOT.virtW1C] = t.virtW1C[d];
    t.hot[i + HOT.hwWrite] = t.hwWrite[d];
    t.hot[i + HOT.preserve] = t.preserve[d];
    t.hot[i + HOT.hookBits] = t.hookBits[d];
    t.hot[i + HOT.denied] = t.denied[d];
  }
}

/** Word positions within a dword's slot of DeviceTables.hot. */
export const HOT = { hwRead: 0, virtRead: 1, virtWrite: 2, virtW1C: 3, hwWrite: 4, preserve: 5, hookBits: 6, denied: 7 } as const;
export const HOT_STRIDE = 8;
