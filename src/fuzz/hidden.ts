// The hidden-stays-hidden invariant: whatever a device file says (allow, hide,
// override, pass, permissive), whatever state the host is in, and whatever the
// guest does, no byte of a hidden capability is readable and none of its host
// bits change. Checked on an attached device (table runtime) after any access
// sequence; `cfgvirt fuzz` and the property tests both run it.
import type { OpenedDevice } from "../open-device.js";
import type { GuestAccess } from "./harness.js";

/** Byte ranges [from, to) that belong to hidden capabilities on this device. */
export function hiddenRanges(o: Pick<OpenedDevice, "tables">): { name: string; from: number; to: number }[] {
  const out: { name: string; from: number; to: number }[] = [];
  for (const p of o.tables.placed) if (!p.visible) out.push({ name: p.template.name, from: p.offset, to: p.offset + p.size });
  for (const u of o.tables.unknown) out.push({ name: `unknown ${u.found.kind} 0x${u.found.id.toString(16)}`, from: u.found.offset, to: u.found.offset + 4 });
  return out;
}

/** The host bytes of the hidden ranges, taken before a run. */
export interface HiddenSnapshot {
  readonly ranges: readonly { name: string; from: number; to: number }[];
  readonly host: Uint32Array;
}

export function snapshotHidden(o: Pick<OpenedDevice, "tables" | "host">): HiddenSnapshot {
  return { ranges: hiddenRanges(o), host: Uint32Array.from(o.host.words) };
}

const byteOf = (words: Uint32Array, b: number) => (words[b >> 2] >>> ((b & 3) * 8)) & 0xff;
// 0x100 always heads the extended chain: with the capability there hidden,
// its dword reads a header with ID 0 that links past it (not its bytes).
const relinked = (b: number) => b >= 0x100 && b < 0x104;

/** A message naming the first hidden byte the guest can read or whose host bits changed since the snapshot; else undefined. */
export function verifyHidden(o: OpenedDevice, snap: HiddenSnapshot): string | undefined {
  for (const r of snap.ranges) {
    for (let b = r.from; b < r.to && b < o.host.size; b++) {
      if (byteOf(snap.host, b) !== byteOf(o.host.words, b)) {
        return `hidden ${r.name} host byte 0x${b.toString(16)} changed 0x${byteOf(snap.host, b).toString(16)} -> 0x${byteOf(o.host.words, b).toString(16)}`;
      }
      if (relinked(b)) continue;
      const v = o.device.read(b, 1);
      if (v !== 0) return `hidden ${r.name} byte 0x${b.toString(16)} reads 0x${v.toString(16)} (host 0x${byteOf(o.host.words, b).toString(16)})`;
    }
  }
  return undefined;
}

/**
 * Run `accesses` on the device and check the invariant at attach and after.
 * Returns a message naming the first byte that leaked or changed, or undefined.
 */
export function checkHiddenStaysHidden(o: OpenedDevice, accesses: readonly GuestAccess[]): string | undefined {
  const snap = snapshotHidden(o);
  const atAttach = verifyHidden(o, snap);
  if (atAttach) return `at attach: ${atAttach}`;
  for (const a of accesses) {
    if (a.kind === "r") o.device.read(a.offset, a.size);
    else o.device.write(a.offset, a.size, a.value);
  }
  const after = verifyHidden(o, snap);
  return after ? `after the accesses: ${after}` : undefined;
}
