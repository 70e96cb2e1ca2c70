// Simulated hosts for many functions in one flat array (function fn's dwords
// at [fn * 1024]), with the write semantics of src/host/simulated.ts, as the C
// bench keeps them: the hot path reaches them by function number
// (HostFunctions), so that the many-device numbers compare the runtime and not
// 10,000 scattered host objects.
import { CONFIG_DWORDS, type HardwareBehaviour, type HostDevice, type HostFunctions } from "../src/host/host.js";

// Function fn's words start at fn << 10 (1024 per function): a literal, not
// CONFIG_DWORDS, which V8 would load and check through the import's cell.
export class HostPool implements HostFunctions {
  readonly words: Uint32Array;
  private readonly writable: Uint32Array;
  private readonly w1c: Uint32Array;
  private readonly rsvdz: Uint32Array;

  constructor(
    readonly count: number,
    bytes: Uint8Array,
    behaviour: HardwareBehaviour,
    /** Bytes of configuration space each function implements. */
    readonly size: number,
  ) {
    this.words = new Uint32Array(count * CONFIG_DWORDS);
    this.writable = behaviour.writable;
    this.w1c = behaviour.w1c;
    this.rsvdz = behaviour.rsvdz;
    const first = new Uint32Array(CONFIG_DWORDS);
    for (let i = 0; i < bytes.length && i < 4096; i++) first[i >> 2] |= bytes[i] << ((i & 3) * 8);
    for (let k = 0; k < count; k++) this.words.set(first, k * CONFIG_DWORDS);
  }

  functionRead32(fn: number, index: number): number {
    return this.words[(fn << 10) + index];
  }

  functionWrite(fn: number, offset: number, size: 1 | 2 | 4, value: number): void {
    if (offset >= this.size) return;
    const d = offset >> 2;
    const shift = (offset & 3) * 8;
    const enable = size === 4 ? -1 : ((1 << (size << 3)) - 1) << shift;
    const v = (value << shift) & enable;
    const writable = this.writable[d] & enable;
    const at = (fn << 10) + d;
    let next = (this.words[at] & ~writable) | (v & writable);
    next &= ~(v & this.w1c[d]);
    this.words[at] = (next & ~this.rsvdz[d]) >>> 0;
  }
}

/** Function `fn` of a HostPool as a HostDevice (what a VirtualDevice holds for hooks and the platform). */
export class PooledHost implements HostDevice {
  constructor(
    private readonly pool: HostPool,
    private readonly fn: number,
  ) {}

  get size(): number {
    return this.pool.size;
  }

  read32(index: number): number {
    return this.pool.functionRead32(this.fn, index);
  }

  write(offset: number, size: 1 | 2 | 4, value: number): void {
    this.pool.functionWrite(this.fn, offset, size, value);
  }
}
