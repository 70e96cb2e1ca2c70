// The reference's own capability-chain walker, written from the specification
// (PCI LB 3.0 §6.7, PCIe Base 6.0 §7.6.3), not from the table path's: a
// pointer's two low bits are reserved; a standard pointer outside 0x40..0xfc,
// an extended one outside 0x100..0xffc, a pointer seen before, or an extended
// header of 0 or all-ones ends its chain.
import { hostByte, type ReferenceHost } from "./host.js";

export interface ChainEntry {
  readonly kind: "capability" | "extended";
  readonly id: number;
  readonly offset: number;
}

/** Standard then extended capabilities, each chain in link order. */
export function capabilityChains(host: ReferenceHost): ChainEntry[] {
  const out: ChainEntry[] = [];
  // Status bit 4, Capabilities List: without it there is no standard chain.
  if (hostByte(host, 0x06) & 0x10) {
    const visited: boolean[] = [];
    for (let at = hostByte(host, 0x34) & ~3; at !== 0 && at >= 0x40 && at <= 0xfc && !visited[at]; at = hostByte(host, at + 1) & ~3) {
      visited[at] = true;
      out.push({ kind: "capability", id: hostByte(host, at), offset: at });
    }
  }
  if (host.size >= 4096) {
    const visited: boolean[] = [];
    for (let at = 0x100; at !== 0 && at >= 0x100 && at <= 0xffc && !visited[at]; ) {
      visited[at] = true;
      const head = host.read32(at / 4) >>> 0;
      if (head === 0 || head === 0xffffffff) break;
      out.push({ kind: "extended", id: head % 0x10000, offset: at });
      at = Math.floor(head / 2 ** 20) & ~3;
    }
  }
  return out;
}
