// A simulated PCI function: configuration bytes plus the hardware behaviour of
// every bit, taken from the spec attributes in the rules.
import { CONFIG_DWORDS, type HardwareBehaviour, type HostDevice, type HostFunctions } from "./host.js";

const ALL_ONES = new Uint32Array(CONFIG_DWORDS).fill(0xffffffff);

/**
 * Also the HostFunctions of a pool of one (any `fn` is this device), so that a
 * VirtualDevice over it reaches it with no adapter object in between.
 */
export class SimulatedDevice implements HostDevice, HostFunctions {
  readonly words = new Uint32Array(CONFIG_DWORDS);
  /** What reads see: the words, or all-ones once the device is gone (no branch per read). */
  private visible: Uint32Array = this.words;
  /** Until behaviour is set, every bit is writable: a leak shows rather than hides. */
  private writable: Uint32Array = new Uint32Array(CONFIG_DWORDS).fill(0xffffffff);
  private w1c: Uint32Array = new Uint32Array(CONFIG_DWORDS);
  private rsvdz: Uint32Array = new Uint32Array(CONFIG_DWORDS);
  private gone = false;
  /** Count of writes that reached the device. */
  writes = 0;

  /** `declare`d, as DeviceStates' fields (src/runtime/virtual-device.ts): V8 then tracks it as a small integer. */
  declare readonly size: number;

  constructor(bytes: Uint8Array, size: number = bytes.length) {
    this.size = size;
    const n = Math.min(bytes.length, size, CONFIG_DWORDS * 4);
    for (let i = 0; i < n; i++) this.words[i >> 2] |= bytes[i] << ((i & 3) * 8);
  }

  setBehaviour(b: HardwareBehaviour): void {
    this.writable = b.writable;
    this.w1c = b.w1c;
    this.rsvdz = b.rsvdz;
  }

  /** Surprise removal: reads return all-ones, writes go nowhere. */
  get removed(): boolean {
    return this.gone;
  }
  set removed(gone: boolean) {
    this.gone = gone;
    this.visible = gone ? ALL_ONES : this.words;
  }

  /** Words past `size` stay 0: the constructor fills only `size` bytes and writes past it are dropped. */
  read32(index: number): number {
    return this.visible[index];
  }

  // read32's body, not a call to it: one call level less in the hot path,
  // whose inlining V8 bounds.
  functionRead32(_fn: number, index: number): number {
    return this.visible[index];
  }

  functionWrite(_fn: number, offset: number, size: 1 | 2 | 4, value: number): void {
    this.write(offset, size, value);
  }

  write(offset: number, size: 1 | 2 | 4, value: number): void {
    if (this.removed || offset >= this.size) return;
    this.writes++;
    const d = offset >> 2;
    const shift = (offset & 3) * 8;
    const enable = size === 4 ? -1 : ((1 << (size << 3)) - 1) << shift;
    const v = (value << shift) & enable;
    const writable = this.writable[d] & enable;
    let next = (this.words[d] & ~writable) | (v & writable);
    next &= ~(v & this.w1c[d]);
    this.words[d] = (next & ~this.rsvdz[d]) >>> 0;
  }

  /** The configuration bytes as they are now. */
  bytes(): Uint8Array {
    const out = new Uint8Array(this.size);
    for (let i = 0; i < this.size; i++) out[i] = (this.words[i >> 2] >>> ((i & 3) * 8)) & 0xff;
    return out;
  }
}
