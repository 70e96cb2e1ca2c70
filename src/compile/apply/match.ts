// Which device file applies to a host device: the most specific match.
import type * as A from "../../syntax/ast.js";
import type { DevicePolicy } from "../resolve/device.js";

/** Identity of a host device, as read from its header. */
export interface DeviceIdentity {
  readonly vendor: number;
  readonly device: number;
  readonly subsystemVendor: number;
  readonly subsystem: number;
  readonly classCode: number;
}

/** How specifically a match fits; 0 when it does not. */
function matchScore(m: A.Match, id: DeviceIdentity): number {
  if (m.kind === "class") return (id.classCode & m.mask) === (m.value & m.mask) ? 1 : 0;
  const parts: [number | undefined, number][] = [
    [m.vendor, id.vendor],
    [m.device, id.device],
    [m.subsystemVendor, id.subsystemVendor],
    [m.subsystem, id.subsystem],
  ];
  let score = 2;
  for (const [want, have] of parts) {
    if (want === undefined) continue;
    if (want !== have) return 0;
    score += 2;
  }
  return score;
}

/** The most specific device file for a host device; later files win ties. */
export function matchDevice(policies: readonly DevicePolicy[], id: DeviceIdentity): DevicePolicy | undefined {
  let best: DevicePolicy | undefined;
  let bestScore = 0;
  for (const p of policies) {
    const s = Math.max(0, ...p.matches.map((m) => matchScore(m, id)));
    if (s > 0 && s >= bestScore) {
      best = p;
      bestScore = s;
    }
  }
  return best;
}
