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
import { CfgvirtError, error } from "../diag/diagnostic.js";
import { CONFIG_DWORDS, type HostDevice } from "../host/host.js";
import type { DeviceTables } from "./attach.js";
import { DeviceLog } from "./log.js";

/** Value mask by access size; 0 for sizes that are not 1, 2 or 4. */
const SIZE_MASK = new Uint32Array([0, 0xff, 0xffff, 0, 0xffffffff, 0, 0, 0]);

/**
 * Called after a guest write that covers trapped bits of a dword: `written` is
 * the mask of the bits the write covered, `trapped` the dword's trapped bits.
 */
export type HookHandler = (device: VirtualDevice, hook: HookName, dword: number, written: number, trapped: number) => void;

/**
 * The per-device state of many devices (SR-IOV VFs) in shared flat arrays,
 * struct of arrays: device k's virtual dwords at [k * 1024, k * 1024 + 1024).
 * One allocation instead of two per device, and the hot path indexes an array
 * every device shares (its header stays in cache) rather than following each
 * device's own array: spread over 10,000 devices, see `npm run bench`.
 */
export class DeviceStates {
  readonly shadow: Uint32Array;
  readonly denyLogged: Uint8Array;
  private used = 0;

  constructor(readonly capacity: number) {
    this.shadow = new Uint32Array(capacity * CONFIG_DWORDS);
    this.denyLogged = new Uint8Array(capacity * CONFIG_DWORDS);
  }

  /** The base index of a fresh device's state. */
  allocate(): number {
    if (this.used >= this.capacity) throw new CfgvirtError([error("A003", `device state pool is full (${this.capacity} devices)`, undefined, "create the DeviceStates with a larger capacity")]);
    return this.used++ * CONFIG_DWORDS;
  }
}

export class VirtualDevice {
  /** The guest's virtual copy of every emulated and hidden bit (a view of this device's slice of the state arrays). */
  readonly shadow: Uint32Array;
  private readonly hot: Uint32Array;
  /** The state arrays (this device's own, or shared by many) and where this device's slice starts. */
  private readonly state: Uint32Array;
  private readonly base: number;
  private readonly denyLogged: Uint8Array;
  private removalLogged = false;

  constructor(
    readonly tables: DeviceTables,
    readonly host: HostDevice,
    readonly log: DeviceLog = new DeviceLog(() => {}),
    private readonly onHook: HookHandler = () => {},
    states?: DeviceStates,
  ) {
    if (states) {
      this.base = states.allocate();
      this.state = states.shadow;
      this.denyLogged = states.denyLogged;
    } else {
      this.base = 0;
      this.state = new Uint32Array(CONFIG_DWORDS);
      this.denyLogged = new Uint8Array(CONFIG_DWORDS);
    }
    this.shadow = this.state.subarray(this.base, this.base + CONFIG_DWORDS);
    this.shadow.set(tables.initialShadow);
    this.hot = tables.hot;
    if (tables.policy.permissive) this.log.once("permissive", `device "${tables.policy.name}" is permissive: uncovered bytes pass through`);
  }

  // The common case (size 1, 2 or 4 within one dword) is tested with a table
  // lookup rather than a chain of comparisons: sizes in a trace are random, and
  // a mispredicted branch costs more than the load.
  read(offset: number, size: number): number {
    const mask = SIZE_MASK[size & 7];
    if (mask !== 0 && size === (size & 7) && offset >>> 0 === offset && offset < 4096 && (offset & 3) + size <= 4) {
      return this.readInDword(offset, mask);
    }
    return this.readSplit(offset, size);
  }

  write(offset: number, size: number, value: number): void {
    const mask = SIZE_MASK[size & 7];
    if (mask !== 0 && size === (size & 7) && offset >>> 0 === offset && offset < 4096 && (offset & 3) + size <= 4) {
      this.writeInDword(offset, size, mask, value);
      return;
    }
    this.writeSplit(offset, size, value);
  }

  // Offsets below are HOT's word positions (attach.ts), written as literals so
  // that V8 sees constant indexes: 0 hwRead, 1 virtRead, 2 virtWrite,
  // 3 virtW1C, 4 hwWrite, 5 preserve, 6 hookBits, 7 denied.
  private readInDword(offset: number, mask: number): number {
    const d = offset >>> 2;
    const h = this.hot;
    const i = d << 3;
    const shift = (offset & 3) << 3;
    let v = this.state[this.base + d] & h[i + 1];
    // The host is read only when the bytes asked for hold a passed-through bit:
    // each host read costs a sysfs or VFIO access on real hardware.
    const hr = h[i] & (mask << shift);
    if (hr !== 0) {
      const hw = this.host.read32(d);
      if (hw === 0xffffffff) this.checkRemoval();
      v |= hw & hr;
    }
    return ((v >>> shift) & mask) >>> 0;
  }

  private writeInDword(offset: number, size: number, mask: number, value: number): void {
    const d = offset >>> 2;
    const h = this.hot;
    const i = d << 3;
    const shift = (offset & 3) << 3;
    const enable = mask << shift;
    const v = (value << shift) & enable;
    const at = this.base + d;
    let s = this.state[at];
    const vw = h[i + 2] & enable;
    if (vw !== 0) s = (s & ~vw) | (v & vw);
    s &= ~(h[i + 3] & v);
    this.state[at] = s;
    const pass = h[i + 4] & enable;
    if (pass !== 0) this.writeHardware(d, v, enable, pass, offset, size, mask);
    const trapped = h[i + 6];
    if ((trapped & enable) !== 0) this.onHook(this, HOOK_NAMES[this.tables.hook[d] - 1], d, enable, trapped);
    if ((h[i + 7] & enable) !== 0 && this.denyLogged[this.base + d] === 0) this.noteDenied(d);
  }

  /**
   * Only bytes holding passed-through writable bits reach the hardware. Within
   * them, guest bits go as written, other bits as the hardware holds them
   * (preserve), except RW1C and RsvdZ bits the guest does not own, written 0.
   */
  private writeHardware(d: number, v: number, enable: number, pass: number, offset: number, size: number, mask: number): void {
    const keep = this.hot[(d << 3) + 5] & enable;
    let out = v & pass;
    if (keep !== 0) out |= this.host.read32(d) & keep;
    // Bit 0 of each byte of `lanes` says whether that byte holds a passed bit.
    let lanes = pass | (pass >>> 4);
    lanes |= lanes >>> 2;
    lanes |= lanes >>> 1;
    lanes &= 0x01010101;
    if (lanes === (enable & 0x01010101)) {
      this.host.write(offset, size as 1 | 2 | 4, ((out >>> ((offset & 3) << 3)) & mask) >>> 0);
      return;
    }
    for (let i = 0; i < 4; i++) {
      if ((lanes >>> (i << 3)) & 1) this.host.write(d * 4 + i, 1, (out >>> (i << 3)) & 0xff);
    }
  }

  private readSplit(offset: number, size: number): number {
    if (!(size === 1 || size === 2 || size === 4)) return 0xffffffff;
    const ones = size === 4 ? 0xffffffff : (1 << (size << 3)) - 1;
    if (!Number.isInteger(offset) || offset < 0 || offset > 4095) return ones;
    let v = 0;
    for (let i = size - 1; i >= 0; i--) {
      const b = offset + i < 4096 ? this.readInDword(offset + i, 0xff) : 0xff;
      v = (v << 8) | b;
    }
    return v >>> 0;
  }

  private writeSplit(offset: number, size: number, value: number): void {
    if (!(size === 1 || size === 2 || size === 4)) return;
    if (!Number.isInteger(offset) || offset < 0 || offset > 4095) return;
    for (let i = 0; i < size && offset + i < 4096; i++) this.writeInDword(offset + i, 1, 0xff, (value >>> (i << 3)) & 0xff);
  }

  private noteDenied(d: number): void {
    this.denyLogged[this.base + d] = 1;
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
