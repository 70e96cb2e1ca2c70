// The IOMMU: per passed-through function (a domain, keyed by the host's
// Requester ID), a map from guest-physical (I/O virtual) pages to host-physical
// pages, set up by the platform only. A device's DMA is translated page by
// page; an access to an unmapped page, or a write to a read-only mapping, faults
// and is recorded. The Command register's Bus Master Enable says whether the
// device may issue requests at all; what it may reach is this map's alone.

import { Ring } from "./ring.js";

export const PAGE_SIZE = 4096;

export interface IommuFault {
  readonly domain: number;
  readonly iova: number;
  readonly write: boolean;
  readonly reason: "no domain" | "unmapped" | "read-only";
}

interface Mapping {
  readonly hostPage: number;
  readonly writable: boolean;
}

export class Iommu {
  private readonly domains = new Map<number, Map<number, Mapping>>();
  /** Faults, newest last; bounded (a device in a fault loop costs constant memory). */
  readonly faults = new Ring<IommuFault>(256);

  createDomain(domain: number): void {
    if (!this.domains.has(domain)) this.domains.set(domain, new Map());
  }

  destroyDomain(domain: number): void {
    this.domains.delete(domain);
  }

  hasDomain(domain: number): boolean {
    return this.domains.has(domain);
  }

  /** Map `length` bytes from `iova` to `hostAddress`; both page-aligned. */
  map(domain: number, iova: number, hostAddress: number, length: number, opts: { writable?: boolean } = {}): void {
    const pages = this.domains.get(domain);
    if (!pages) throw new RangeError(`IOMMU domain 0x${domain.toString(16)} does not exist`);
    if (iova % PAGE_SIZE !== 0 || hostAddress % PAGE_SIZE !== 0 || length % PAGE_SIZE !== 0) throw new RangeError("IOMMU mappings are whole 4 KiB pages");
    for (let off = 0; off < length; off += PAGE_SIZE) {
      pages.set((iova + off) / PAGE_SIZE, { hostPage: (hostAddress + off) / PAGE_SIZE, writable: opts.writable ?? true });
    }
  }

  unmap(domain: number, iova: number, length: number): void {
    const pages = this.domains.get(domain);
    for (let off = 0; off < length; off += PAGE_SIZE) pages?.delete(Math.floor((iova + off) / PAGE_SIZE));
  }

  /** Host-physical address for one access, or undefined after recording a fault. */
  translate(domain: number, iova: number, write: boolean): number | undefined {
    const pages = this.domains.get(domain);
    const fault = (reason: IommuFault["reason"]) => {
      this.faults.push({ domain, iova, write, reason });
      return undefined;
    };
    if (!pages) return fault("no domain");
    const m = pages.get(Math.floor(iova / PAGE_SIZE));
    if (!m) return fault("unmapped");
    if (write && !m.writable) return fault("read-only");
    return m.hostPage * PAGE_SIZE + (iova % PAGE_SIZE);
  }
}
