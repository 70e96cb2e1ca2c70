// The host device model behind a passed-through function's BARs: what MMIO
// and port I/O reach once the platform has translated a guest access. A BAR
// holds register regions, searched in order; the platform defines two kinds,
// and a test or example may add its own with `define`:
//
// - the MSI-X table and PBA, where the capability puts them: the device's own
//   table as the platform programmed it (PassThroughFunction.hostMsixTable);
// - a scratch register file over the first 4 KiB of every BAR (the whole BAR
//   when smaller): plain read/write storage, so that an access is observable.
//
// Offsets no region claims read 0 and drop writes, counted. A BAR decodes
// only while the HOST's Command register enables its space and the function
// is in D0: otherwise the device does not answer (reads all-ones), as the
// platform's reset path relies on.
import type { BarInfo } from "../runtime/bars.js";
import { readHardware } from "./capabilities.js";
import type { PassThroughFunction } from "./passthrough-function.js";

export interface RegisterHandler {
  read(offset: number, size: number): number;
  write(offset: number, size: number, value: number): void;
}

export interface RegisterRegion {
  readonly name: string;
  readonly bar: number;
  readonly offset: number;
  readonly size: number;
  readonly handler: RegisterHandler;
}

/** Where the MSI-X table or PBA lives: BAR (BIR) and offset, from the capability's host values. */
export interface MsixLocation {
  readonly bar: number;
  readonly offset: number;
  readonly size: number;
}

export const SCRATCH_BYTES = 4096;

const sizeMask = (size: number): number => (size >= 4 ? 0xffffffff : (1 << (size * 8)) - 1);

/** Little-endian byte storage as a register file. */
export class ScratchRegisters implements RegisterHandler {
  readonly bytes: Uint8Array;
  constructor(size: number) {
    this.bytes = new Uint8Array(size);
  }
  read(offset: number, size: number): number {
    let v = 0;
    for (let i = Math.min(size, 4) - 1; i >= 0; i--) v = (v * 256 + (this.bytes[offset + i] ?? 0)) >>> 0;
    return v >>> 0;
  }
  write(offset: number, size: number, value: number): void {
    for (let i = 0; i < Math.min(size, 4) && offset + i < this.bytes.length; i++) this.bytes[offset + i] = (value >>> (i * 8)) & 0xff;
  }
  reset(): void {
    this.bytes.fill(0);
  }
}

/** The MSI-X table and PBA location a function's capability names (host values). */
export function msixLocations(fn: PassThroughFunction): { table: MsixLocation; pba: MsixLocation } | undefined {
  if (fn.msix === undefined) return undefined;
  const entries = fn.hostMsixTable.length;
  const t = readHardware(fn.host, fn.msix + 4, 4);
  const p = readHardware(fn.host, fn.msix + 8, 4);
  return {
    table: { bar: t & 7, offset: (t & ~7) >>> 0, size: entries * 16 },
    pba: { bar: p & 7, offset: (p & ~7) >>> 0, size: Math.ceil(entries / 64) * 8 },
  };
}

/** A dword of an MSI-X table entry (0 address low, 1 address high, 2 data, 3 vector control). */
export function msixEntryDword(e: { address: bigint; data: number; masked: boolean }, dword: number): number {
  switch (dword & 3) {
    case 0: return Number(e.address & 0xffff_ffffn);
    case 1: return Number((e.address >> 32n) & 0xffff_ffffn);
    case 2: return e.data >>> 0;
    default: return e.masked ? 1 : 0;
  }
}

/** Bits 0..n-1 of a pending set, as the PBA's qword `q` holds them, dword `half` of it. */
export function pbaDword(pending: ReadonlySet<number>, dwordIndex: number): number {
  let v = 0;
  for (let b = 0; b < 32; b++) if (pending.has(dwordIndex * 32 + b)) v |= 1 << b;
  return v >>> 0;
}

export class HostBars {
  private readonly regions: RegisterRegion[] = [];
  readonly scratch = new Map<number, ScratchRegisters>();
  /** Accesses that reached the device model, and those no region claimed. */
  accesses = 0;
  unclaimed = 0;

  constructor(
    private readonly fn: PassThroughFunction,
    readonly bars: readonly BarInfo[],
  ) {
    const msix = msixLocations(fn);
    if (msix) {
      const table = fn.hostMsixTable;
      this.define({
        name: "msix-table", bar: msix.table.bar, offset: msix.table.offset, size: msix.table.size,
        handler: {
          read: (o, s) => (msixEntryDword(table[o >> 4], (o >> 2) & 3) >>> ((o & 3) * 8)) & sizeMask(s),
          // The device's table is the platform's to program (msi.ts); a guest never reaches it.
          write: () => {},
        },
      });
      this.define({
        name: "msix-pba", bar: msix.pba.bar, offset: msix.pba.offset, size: msix.pba.size,
        handler: { read: (o, s) => (pbaDword(fn.hostPending, o >> 2) >>> ((o & 3) * 8)) & sizeMask(s), write: () => {} },
      });
    }
    for (const b of bars) {
      if (b.kind === "none" || b.kind === "rom" || b.size === 0) continue;
      const file = new ScratchRegisters(Math.min(b.size, SCRATCH_BYTES));
      this.scratch.set(b.index, file);
      this.define({ name: `scratch${b.index}`, bar: b.index, offset: 0, size: file.bytes.length, handler: file });
    }
  }

  /** Add registers at `offset` of BAR `bar`; earlier definitions win where regions overlap, so define before plugging traffic. */
  define(region: RegisterRegion): void {
    this.regions.unshift(region);
  }

  bar(index: number): BarInfo | undefined {
    return this.bars.find((b) => b.index === index && b.kind !== "rom");
  }

  /** Whether the host's Command register decodes this BAR's space. */
  decodes(index: number): boolean {
    const b = this.bar(index);
    if (!b || this.fn.host.removed) return false;
    // Outside D0 a function answers configuration requests only (PCI PM 1.2 §5.3.1.4).
    if (this.fn.pm !== undefined && (readHardware(this.fn.host, this.fn.pm + 4, 2) & 3) !== 0) return false;
    const command = readHardware(this.fn.host, 0x04, 2);
    return (command & (b.kind === "io" ? 1 : 2)) !== 0;
  }

  read(index: number, offset: number, size: number): number {
    if (!this.decodes(index)) return sizeMask(size);
    this.accesses++;
    const r = this.find(index, offset, size);
    if (!r) {
      this.unclaimed++;
      return 0;
    }
    return r.handler.read(offset - r.offset, size) >>> 0;
  }

  write(index: number, offset: number, size: number, value: number): void {
    if (!this.decodes(index)) return;
    this.accesses++;
    const r = this.find(index, offset, size);
    if (!r) {
      this.unclaimed++;
      return;
    }
    r.handler.write(offset - r.offset, size, value >>> 0);
  }

  /** A device reset: register files return to 0. */
  reset(): void {
    for (const s of this.scratch.values()) s.reset();
  }

  private find(index: number, offset: number, size: number): RegisterRegion | undefined {
    for (const r of this.regions) if (r.bar === index && offset >= r.offset && offset + size <= r.offset + r.size) return r;
    return undefined;
  }
}
