// Simulated hosts for many functions in one flat array (device i's dwords at
// [i * 1024]), with the write semantics of src/host/simulated.ts: as the C
// bench keeps them, so that the many-device numbers compare the runtime and
// not 10,000 scattered host objects.
import { CONFIG_DWORDS, type HardwareBehaviour, type HostDevice } from "../src/host/host.js";

export class HostPool {
  readonly words: Uint32Array;
  constructor(readonly count: number, bytes: Uint8Array, readonly behaviour: HardwareBehaviour) {
    this.words = new Uint32Array(count * CONFIG_DWORDS);
    const first = new Uint32Array(CONFIG_DWORDS);
    for (let i = 0; i < bytes.length && i < 4096; i++) first[i >> 2] |= bytes[i] << ((i & 3) * 8);
    for (let k = 0; k < count; k++) this.words.set(first, k * CONFIG_DWORDS);
  }
}

export class PooledHost implements HostDevice {
  private readonly words: Uint32Array;
  private readonly base: number;
  private readonly writable: Uint32Array;
  private readonly w1c: Uint32Array;
  private readonly rsvdz: Uint32Array;
  constructor(pool: HostPool, index: number, readonly size: number) {
    this.words = pool.words;
    this.base = index * CONFIG_DWORDS;
    this.writable = pool.behaviour.writable;
    this.w1c = pool.behaviour.w1c;
    this.rsvdz = pool.behaviour.rsvdz;
  }

  read32(index: number): number {
    return this.words[this.base + index];
  }

  write(offset: number, size: 1 | 2 | 4, value: number): void {
    if (offset >= this.size) return;
    const d = offset >> 2;
    const shift = (offset & 3) * 8;
    const enable = size === 4 ? -1 : ((1 << (size << 3)) - 1) << shift;
    const v = (value << shift) & enable;
    const writable = this.writable[d] & enable;
    const at = this.base + d;
    let next = (this.words[at] & ~writable) | (v & writable);
    next &= ~(v & this.w1c[d]);
    this.words[at] = (next & ~this.rsvdz[d]) >>> 0;
  }
}
