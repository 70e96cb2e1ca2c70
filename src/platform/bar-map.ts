// The guest's BARs in the guest's physical and I/O address spaces.
//
// Memory BARs: a guest BAR maps the host BAR page by page (4 KiB), as Xen's
// p2m does for MMIO (the talk: "the mapping from guest physical address to
// machine address is done per-page"). The map is kept as runs of whole pages,
// one per BAR: guest page g of a run translates to host page
// hostPage + (g - guestPage). When the guest moves a BAR or turns Memory
// Space off, the function's old runs are torn down before any new one is
// made, so no stale page survives.
//
// A run maps directly only when the guest and host addresses sit at the same
// offset within their page (always so for page-aligned BARs); otherwise every
// access is trapped and forwarded by the platform, as QEMU's vfio-pci does for
// a sub-page BAR it cannot map. Pages holding the MSI-X table or PBA are
// always trapped: the platform emulates them (hw/xen/xen_pt_msi.c,
// hw/vfio/pci.c's MSI-X region), and a page cannot be half mapped.
//
// As QEMU's pci_bar_address() does, a BAR at address 0, one that wraps, or an
// I/O BAR past 0xffff is not mapped.
//
// Port I/O BARs: the guest's I/O range, with I/O Space on, forwards IN/OUT to
// the host port at the same offset of the host's I/O BAR.
import type { BarInfo } from "../runtime/bars.js";
import { PAGE_SIZE } from "./iommu.js";
import type { MsixLocation } from "./host-bars.js";
import type { PassThroughFunction } from "./passthrough-function.js";

export interface BarRun {
  readonly fn: PassThroughFunction;
  readonly bar: number;
  readonly space: "mem" | "io";
  readonly guestBase: number;
  readonly size: number;
  readonly hostBase: number;
  /** Guest pages the run covers (memory), and how many of them map straight to host pages. */
  readonly pages: number;
  readonly directPages: number;
}

/** The guest's address of each BAR of a function, read through the guest's own view. */
export function guestBarAddresses(fn: PassThroughFunction, bars: readonly BarInfo[]): { bar: BarInfo; address: number }[] {
  const out: { bar: BarInfo; address: number }[] = [];
  for (const b of bars) {
    if (b.kind === "none" || b.kind === "rom" || b.size === 0) continue;
    const lo = fn.device.read(0x10 + 4 * b.index, 4);
    if (b.kind === "io") out.push({ bar: b, address: (lo & 0xfffffffc) >>> 0 });
    else {
      const hi = b.kind === "mem64" ? fn.device.read(0x10 + 4 * (b.index + 1), 4) : 0;
      out.push({ bar: b, address: hi * 2 ** 32 + ((lo & 0xfffffff0) >>> 0) });
    }
  }
  return out;
}

/** The host's address of a BAR, from the host's registers. */
export function hostBarAddress(fn: PassThroughFunction, b: BarInfo): number {
  const lo = fn.host.read32(4 + b.index);
  if (b.kind === "io") return (lo & 0xfffffffc) >>> 0;
  const hi = b.kind === "mem64" ? fn.host.read32(5 + b.index) : 0;
  return hi * 2 ** 32 + ((lo & 0xfffffff0) >>> 0);
}

const pageOf = (a: number) => Math.floor(a / PAGE_SIZE);

export class BarMap {
  private runs: BarRun[] = [];

  /** Rebuild a function's runs from its guest BARs and guest Command: tear down first, then map. */
  remap(fn: PassThroughFunction, bars: readonly BarInfo[], trapped: readonly MsixLocation[] = []): void {
    this.unmap(fn);
    const command = fn.device.read(0x04, 2);
    for (const { bar, address } of guestBarAddresses(fn, bars)) {
      const io = bar.kind === "io";
      if ((command & (io ? 1 : 2)) === 0) continue;
      if (address === 0 || address + bar.size > (io ? 0x10000 : 2 ** 64)) continue;
      const hostBase = hostBarAddress(fn, bar);
      if (io) {
        this.runs.push({ fn, bar: bar.index, space: "io", guestBase: address, size: bar.size, hostBase, pages: 0, directPages: 0 });
        continue;
      }
      const pages = pageOf(address + bar.size - 1) - pageOf(address) + 1;
      let direct = 0;
      if (address % PAGE_SIZE === hostBase % PAGE_SIZE) {
        direct = pages;
        for (const t of trapped) {
          if (t.bar !== bar.index || t.size === 0) continue;
          direct -= pageOf(address + t.offset + t.size - 1) - pageOf(address + t.offset) + 1;
        }
      }
      this.runs.push({ fn, bar: bar.index, space: "mem", guestBase: address, size: bar.size, hostBase, pages, directPages: Math.max(0, direct) });
    }
  }

  unmap(fn: PassThroughFunction): void {
    this.runs = this.runs.filter((r) => r.fn !== fn);
  }

  findMem(address: number): BarRun | undefined {
    for (const r of this.runs) if (r.space === "mem" && address >= r.guestBase && address < r.guestBase + r.size) return r;
    return undefined;
  }

  findIo(port: number): BarRun | undefined {
    for (const r of this.runs) if (r.space === "io" && port >= r.guestBase && port < r.guestBase + r.size) return r;
    return undefined;
  }

  /** The host page a guest page maps to, or undefined when no run maps it directly. */
  translatePage(guestPage: number): number | undefined {
    for (const r of this.runs) {
      if (r.space !== "mem" || r.directPages === 0) continue;
      const first = pageOf(r.guestBase);
      if (guestPage >= first && guestPage < first + r.pages) return pageOf(r.hostBase) + (guestPage - first);
    }
    return undefined;
  }

  /** The runs now in place (a copy). */
  list(fn?: PassThroughFunction): BarRun[] {
    return this.runs.filter((r) => fn === undefined || r.fn === fn);
  }

  /** Guest pages mapped, over all functions. */
  get mappedPages(): number {
    let n = 0;
    for (const r of this.runs) n += r.pages;
    return n;
  }
}
