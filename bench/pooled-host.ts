// Simulated hosts for many functions in one flat array, with the write
// semantics of src/host/simulated.ts, as the C bench keeps them: the hot path
// reaches them by function number (HostFunctions), so that the many-device
// numbers compare the runtime and not 10,000 scattered host objects.
//
// What it models: the functions' own configuration registers. On real
// hardware those live in the device and every host operation is a sysfs or
// VFIO access whatever the number of functions; a simulated host is memory,
// and 10,000 functions' 4 KiB would put the cost of the simulation's cache
// misses on the runtime. So every function keeps all 1024 dwords, but the
// dwords the runtime reaches (`near`: its passed-through registers) are kept
// together, 16 words a function in one region (one cache line each), the
// rest 1024 apart in another: the host's cache footprint per function is
// what a register file on the device would cost the CPU, about none.
import { CONFIG_DWORDS, type HardwareBehaviour, type HostDevice, type HostFunctions } from "../src/host/host.js";

/**
 * Where each dword of function fn sits in HostPool.words: entry e of dword d
 * says (e >>> 4) + (fn << (e & 15)). Exported for hot-path.c, which keeps its
 * hosts the same way.
 */
export function hostLayout(count: number, near: (d: number) => boolean): { at: Uint32Array; words: number } {
  const at = new Uint32Array(CONFIG_DWORDS);
  const nearDwords: number[] = [];
  for (let d = 0; d < CONFIG_DWORDS; d++) if (near(d)) nearDwords.push(d);
  // A power of two words per function in the near region, at least a cache line.
  let shift = 4;
  while (1 << shift < nearDwords.length) shift++;
  const farBase = count << shift;
  for (let d = 0; d < CONFIG_DWORDS; d++) at[d] = ((farBase + d) << 4) | 10;
  nearDwords.forEach((d, k) => (at[d] = (k << 4) | shift));
  return { at, words: farBase + count * CONFIG_DWORDS };
}

export class HostPool implements HostFunctions {
  // `declare`d, as DeviceStates' fields (src/runtime/virtual-device.ts): V8 then tracks each field's type.
  declare readonly words: Uint32Array;
  private declare readonly at: Uint32Array;
  private declare readonly writable: Uint32Array;
  private declare readonly w1c: Uint32Array;
  private declare readonly rsvdz: Uint32Array;
  declare readonly count: number;
  /** Bytes of configuration space each function implements. */
  declare readonly size: number;

  /** `near`: the dwords to keep together (the ones the runtime reads or writes). */
  constructor(count: number, bytes: Uint8Array, behaviour: HardwareBehaviour, size: number, near: (d: number) => boolean) {
    this.count = count;
    this.size = size;
    const layout = hostLayout(count, near);
    this.at = layout.at;
    this.words = new Uint32Array(layout.words);
    this.writable = behaviour.writable;
    this.w1c = behaviour.w1c;
    this.rsvdz = behaviour.rsvdz;
    const first = new Uint32Array(CONFIG_DWORDS);
    for (let i = 0; i < bytes.length && i < 4096; i++) first[i >> 2] |= bytes[i] << ((i & 3) * 8);
    for (let k = 0; k < count; k++) for (let d = 0; d < CONFIG_DWORDS; d++) this.words[this.index(k, d)] = first[d];
  }

  private index(fn: number, d: number): number {
    const e = this.at[d];
    return (e >>> 4) + (fn << (e & 15));
  }

  functionRead32(fn: number, index: number): number {
    const e = this.at[index];
    return this.words[(e >>> 4) + (fn << (e & 15))];
  }

  functionWrite(fn: number, offset: number, size: 1 | 2 | 4, value: number): void {
    if (offset >= this.size) return;
    const d = offset >> 2;
    const shift = (offset & 3) * 8;
    const enable = size === 4 ? -1 : ((1 << (size << 3)) - 1) << shift;
    const v = (value << shift) & enable;
    const writable = this.writable[d] & enable;
    const e = this.at[d];
    const at = (e >>> 4) + (fn << (e & 15));
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
