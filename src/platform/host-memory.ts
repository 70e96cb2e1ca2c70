// Host-physical memory, sparse, in 4 KiB pages allocated on first write.
// Pages never written read as zero.
import { PAGE_SIZE } from "./iommu.js";

export class HostMemory {
  private readonly pages = new Map<number, Uint8Array>();

  read(address: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) {
      const a = address + i;
      out[i] = this.pages.get(Math.floor(a / PAGE_SIZE))?.[a % PAGE_SIZE] ?? 0;
    }
    return out;
  }

  write(address: number, data: Uint8Array): void {
    for (let i = 0; i < data.length; i++) {
      const a = address + i;
      const n = Math.floor(a / PAGE_SIZE);
      let page = this.pages.get(n);
      if (!page) this.pages.set(n, (page = new Uint8Array(PAGE_SIZE)));
      page[a % PAGE_SIZE] = data[i];
    }
  }
}
