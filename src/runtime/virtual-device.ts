// The trapped-access hot path: a guest's configuration read or write applied
// through the attached tables. No allocation, no lookups by name; a dword with
// no hook calls nothing beyond the host device's own read/write.
//
// Defined behaviour for odd accesses (never an exception):
// - sizes other than 1, 2, 4, or an offset that is not an integer in 0..4095:
//   reads return all-ones for the size (0xffffffff for a bad size), writes are dropped;
// - an access that crosses a dword boundary is split into byte accesses, as a
//   CPU splits a misaligned MMCFG access; bytes past 4095 read 0xff and drop writes.
import { HOOK_NAMES, type HookName } from "../compile/vocabulary.js";
import type { HostDevice } from "../host/host.js";
import type { DeviceTables } from "./attach.js";
import { DeviceLog } from "./log.js";

/**
 * Called after a guest write that covers trapped bits of a dword: `written` is
 * the mask of the bits the write covered, `trapped` the dword's trapped bits.
 */
export type HookHandler = (device: VirtualDevice, hook: HookName, dword: number, written: number, trapped: number) => void;

export class VirtualDevice {
  /** The guest's virtual copy of every emulated and hidden bit. */
  readonly shadow: Uint32Array;
  private readonly denyLogged = new Uint8Array(1024);
  private removalLogged = false;

  constructor(
    readonly tables: DeviceTables,
    readonly host: HostDevice,
    readonly log: DeviceLog = new DeviceLog(() => {}),
    private readonly onHook: HookHandler = () => {},
  ) {
    this.shadow = Uint32Array.from(tables.initialShadow);
    if (tables.policy.permissive) this.log.once("permissive", `device "${tables.policy.name}" is permissive: uncovered bytes pass through`);
  }

  read(offset: number, size: number): number {
    if ((size === 1 || size === 2 || size === 4) && offset >>> 0 === offset && (offset & 3) + size <= 4 && offset < 4096) {
      return this.readInDword(offset, size);
    }
    return this.readSplit(offset, size);
  }

  write(offset: number, size: number, value: number): void {
    if ((size === 1 || size === 2 || size === 4) && offset >>> 0 === offset && (offset & 3) + size <= 4 && offset < 4096) {
      this.writeInDword(offset, size, value);
      return;
    }
    this.writeSplit(offset, size, value);
  }

  private readInDword(offset: number, size: number): number {
    const d = offset >>> 2;
    const t = this.tables;
    const hr = t.hwRead[d];
    let v = this.shadow[d] & t.virtRead[d];
    if (hr !== 0) {
      const hw = this.host.read32(d);
      if (hw === 0xffffffff) this.checkRemoval();
      v |= hw & hr;
    }
    v >>>= (offset & 3) << 3;
    return size === 4 ? v >>> 0 : v & ((1 << (size << 3)) - 1);
  }

  private writeInDword(offset: number, size: number, value: number): void {
    const d = offset >>> 2;
    const t = this.tables;
    const shift = (offset & 3) << 3;
    const enable = size === 4 ? -1 : ((1 << (size << 3)) - 1) << shift;
    const v = (value << shift) & enable;
    let s = this.shadow[d];
    const vw = t.virtWrite[d] & enable;
    if (vw !== 0) s = (s & ~vw) | (v & vw);
    s &= ~(t.virtW1C[d] & v);
    this.shadow[d] = s;
    const bytes = t.hwBytes[d] & (((1 << size) - 1) << (offset & 3));
    if (bytes !== 0) this.writeHardware(d, v, enable, bytes, offset, size);
    const trapped = t.hookBits[d];
    if ((trapped & enable) !== 0) this.onHook(this, HOOK_NAMES[t.hook[d] - 1], d, enable, trapped);
    if ((t.denied[d] & enable) !== 0 && this.denyLogged[d] === 0) this.noteDenied(d);
  }

  /**
   * Only bytes holding passed-through writable bits reach the hardware. Within
   * them, guest bits go as written, other bits as the hardware holds them
   * (preserve), except RW1C and RsvdZ bits the guest does not own, written 0.
   */
  private writeHardware(d: number, v: number, enable: number, bytes: number, offset: number, size: number): void {
    const t = this.tables;
    const keep = t.preserve[d] & enable;
    let out = v & t.hwWrite[d];
    if (keep !== 0) out |= this.host.read32(d) & keep;
    const all = ((1 << size) - 1) << (offset & 3);
    if (bytes === all) {
      const shifted = out >>> ((offset & 3) << 3);
      this.host.write(offset, size as 1 | 2 | 4, size === 4 ? shifted >>> 0 : shifted & ((1 << (size << 3)) - 1));
      return;
    }
    for (let i = 0; i < 4; i++) {
      if (bytes & (1 << i)) this.host.write(d * 4 + i, 1, (out >>> (i << 3)) & 0xff);
    }
  }

  private readSplit(offset: number, size: number): number {
    if (!(size === 1 || size === 2 || size === 4)) return 0xffffffff;
    const ones = size === 4 ? 0xffffffff : (1 << (size << 3)) - 1;
    if (!Number.isInteger(offset) || offset < 0 || offset > 4095) return ones;
    let v = 0;
    for (let i = size - 1; i >= 0; i--) {
      const b = offset + i < 4096 ? this.readInDword(offset + i, 1) : 0xff;
      v = (v << 8) | b;
    }
    return v >>> 0;
  }

  private writeSplit(offset: number, size: number, value: number): void {
    if (!(size === 1 || size === 2 || size === 4)) return;
    if (!Number.isInteger(offset) || offset < 0 || offset > 4095) return;
    for (let i = 0; i < size && offset + i < 4096; i++) this.writeInDword(offset + i, 1, (value >>> (i << 3)) & 0xff);
  }

  private noteDenied(d: number): void {
    this.denyLogged[d] = 1;
    this.log.emit(`write to 0x${(d * 4).toString(16).padStart(3, "0")} touches bytes no rule covers; dropped (default deny)`);
  }

  /** A register may legitimately read all-ones; a Vendor ID of 0xffff means the device is gone. */
  private checkRemoval(): void {
    if (this.removalLogged || (this.host.read32(0) & 0xffff) !== 0xffff) return;
    this.removalLogged = true;
    this.log.emit("host device reads all-ones (surprise removal): passed-through bits read as all-ones, virtual ones as the guest left them");
  }

  /** Reset the virtual state to what attach computed (function-level reset, tests). */
  resetShadow(): void {
    this.shadow.set(this.tables.initialShadow);
  }
}
