// Guards and sizes of a template, evaluated against a device's configuration
// bytes: at attach, and when an example image is built from its blocks.
import type { GuardExpr, Template } from "./template.js";
import type { HostDevice } from "../host/host.js";

/** Where the device has each layout (the first place, shown or not): for cross-layout guards. */
export type LayoutOffsets = ReadonlyMap<string, number>;

function fieldValue(host: HostDevice, base: number, offset: number, lo: number, hi: number): number {
  const abs = base + offset;
  const dword = host.read32(abs >> 2) >>> ((abs & 3) * 8);
  const width = hi - lo + 1;
  return width >= 32 ? dword >>> 0 : (dword >>> lo) & ((1 << width) - 1);
}

/**
 * Evaluate a guard against the hardware. A comparison with a field of another
 * layout the device does not have is false.
 */
export function evalGuard(g: GuardExpr, host: HostDevice, base: number, offsets: LayoutOffsets = new Map()): boolean {
  switch (g.op) {
    case "not":
      return !evalGuard(g.operand, host, base, offsets);
    case "and":
      return g.operands.every((o) => evalGuard(o, host, base, offsets));
    case "or":
      return g.operands.some((o) => evalGuard(o, host, base, offsets));
    default: {
      const at = g.layout === undefined ? base : offsets.get(g.layout);
      if (at === undefined) return false;
      const v = fieldValue(host, at, g.offset, g.lo, g.hi);
      switch (g.op) {
        case "nonzero":
          return v !== 0;
        case "==":
          return v === g.value;
        case "!=":
          return v !== g.value;
        case ">=":
          return v >= g.value;
        case "<=":
          return v <= g.value;
        case ">":
          return v > g.value;
        case "<":
          return v < g.value;
      }
    }
  }
}

export function templateSize(t: Template, host: HostDevice, base: number, offsets: LayoutOffsets = new Map()): number {
  if (t.size.kind === "fixed") return t.size.bytes;
  if (t.size.kind === "registers") {
    let end = 0;
    for (const p of t.pieces) if (p.guard < 0 || evalGuard(t.guards[p.guard], host, base, offsets)) end = Math.max(end, (p.dword + 1) * 4);
    return end;
  }
  const at = t.size.layout === undefined ? base : offsets.get(t.size.layout);
  if (at === undefined) return t.size.minimum;
  const v = fieldValue(host, at, t.size.offset, t.size.lo, t.size.hi) * t.size.scale + t.size.add;
  return Math.max(t.size.minimum, v);
}
