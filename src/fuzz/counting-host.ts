// A host device that counts what reaches it: on real hardware each configuration
// read or write is a sysfs or VFIO region access (about a microsecond), so host
// operations per guest access, not instructions, are what a user pays.
import type { HostDevice } from "../host/host.js";

export class CountingHost implements HostDevice {
  reads = 0;
  writes = 0;
  constructor(readonly inner: HostDevice) {}

  get size(): number {
    return this.inner.size;
  }

  read32(index: number): number {
    this.reads++;
    return this.inner.read32(index);
  }

  write(offset: number, size: 1 | 2 | 4, value: number): void {
    this.writes++;
    this.inner.write(offset, size, value);
  }

  /** Host reads plus writes since the last reset. */
  get operations(): number {
    return this.reads + this.writes;
  }

  resetCounts(): void {
    this.reads = this.writes = 0;
  }
}
