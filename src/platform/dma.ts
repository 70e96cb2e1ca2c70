// A passed-through device's DMA as the platform sees it: the device may issue
// requests only with Bus Master Enable set in its (real) Command register, and
// every page it touches goes through the IOMMU. A transfer that touches any
// page the IOMMU refuses is aborted whole (no partial write), with the fault
// recorded by the IOMMU.
import type { SimulatedDevice } from "../host/simulated.js";
import type { HostMemory } from "./host-memory.js";
import { type Iommu, PAGE_SIZE } from "./iommu.js";

export type DmaResult =
  | { readonly ok: true; readonly data: Uint8Array }
  | { readonly ok: false; readonly reason: "bus master disabled" | "device removed" | "iommu fault"; readonly iova?: number };

export interface DmaContext {
  readonly host: SimulatedDevice;
  readonly domain: number;
  readonly iommu: Iommu;
  readonly memory: HostMemory;
}

/** Translate every page of [iova, iova + length); undefined at the first fault. */
function translateAll(ctx: DmaContext, iova: number, length: number, write: boolean): { iova: number; host: number; length: number }[] | { fault: number } {
  const pieces: { iova: number; host: number; length: number }[] = [];
  for (let a = iova; a < iova + length; ) {
    const end = Math.min(iova + length, (Math.floor(a / PAGE_SIZE) + 1) * PAGE_SIZE);
    const host = ctx.iommu.translate(ctx.domain, a, write);
    if (host === undefined) return { fault: a };
    pieces.push({ iova: a, host, length: end - a });
    a = end;
  }
  return pieces;
}

function mayIssue(host: SimulatedDevice): DmaResult | undefined {
  if (host.removed) return { ok: false, reason: "device removed" };
  if ((host.read32(1) & 0x4) === 0) return { ok: false, reason: "bus master disabled" };
  return undefined;
}

export function dmaWrite(ctx: DmaContext, iova: number, data: Uint8Array): DmaResult {
  const refused = mayIssue(ctx.host);
  if (refused) return refused;
  const t = translateAll(ctx, iova, data.length, true);
  if ("fault" in t) return { ok: false, reason: "iommu fault", iova: t.fault };
  for (const p of t) ctx.memory.write(p.host, data.subarray(p.iova - iova, p.iova - iova + p.length));
  return { ok: true, data };
}

export function dmaRead(ctx: DmaContext, iova: number, length: number): DmaResult {
  const refused = mayIssue(ctx.host);
  if (refused) return refused;
  const t = translateAll(ctx, iova, length, false);
  if ("fault" in t) return { ok: false, reason: "iommu fault", iova: t.fault };
  const out = new Uint8Array(length);
  for (const p of t) out.set(ctx.memory.read(p.host, p.length), p.iova - iova);
  return { ok: true, data: out };
}
