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
import { CONFIG_DWORDS, type HostDevice, type HostFunctions } from "../host/host.js";
import type { DeviceTables } from "./attach.js";
import { DeviceLog } from "./log.js";
import { poolMemory } from "./pool-memory.js";

/**
 * The bits an access covers in its dword, by (size & 7) | (offset & 3) << 3:
 * the size's value mask shifted to the byte offset, or 0 for a size that is
 * not 1, 2 or 4 or an access that crosses the dword. Int32 (-1 for a whole
 * dword), so that V8 keeps it in a 32-bit register.
 */
const ENABLE = new Int32Array(32).map((_, k) => {
  const size = k & 7;
  const byte = k >> 3;
  if ((size !== 1 && size !== 2 && size !== 4) || byte + size > 4) return 0;
  return (size === 4 ? -1 : (1 << (size * 8)) - 1) << (byte * 8);
});

/**
 * Called after a guest write that covers trapped bits of a dword: `written` is
 * the mask of the bits the write covered, `trapped` the dword's trapped bits.
 * `handles`, when given, lists the hooks the handler acts on: the runtime does
 * not call it for the others (standardHooks without a listener ignores BAR,
 * MSI and power-state writes; a call that does nothing is a call the hot path
 * need not make).
 */
export type HookHandler = ((device: VirtualDevice, hook: HookName, dword: number, written: number, trapped: number) => void) & {
  readonly handles?: readonly HookName[];
};

/** Bit 1 + i set for each hook HOOK_NAMES[i] a handler acts on (tables.hook's numbering). */
function handledHooks(onHook: HookHandler): number {
  if (!onHook.handles) return -1;
  let bits = 0;
  for (const name of onHook.handles) bits |= 1 << (HOOK_NAMES.indexOf(name) + 1);
  return bits;
}

/** A handler that acts on nothing (a VirtualDevice's default). */
const NO_HOOKS: HookHandler = Object.assign(() => {}, { handles: [] });

/**
 * The trapped-access hot path for devices that share one set of tables (one
 * device, or the identical VFs of a PF), their virtual state in one shared
 * flat array: function `fn`'s words at [fn * stateWords, (fn + 1) * stateWords),
 * dword d's at slot[d] among them (tables.ts, assignSlots). Only dwords with
 * virtual state have a slot (~50 of 1024 on the 82576): 256 bytes a function
 * rather than 4 KiB, so that 10,000 VFs' state stays in the caches.
 *
 * Why a function number and not a per-device object: spread over 10,000 VFs,
 * every object the hot path follows before it can load the state is one more
 * dependent cache miss (device object, then its host object, then the words).
 * Addressed by number, the state and host words are found by arithmetic and
 * both misses overlap, as in C; `npm run bench:c` measures both ways.
 */
export class DeviceStates {
  // Fields set in the constructor are `declare`d: an ES2022 class field is
  // first defined as undefined, and V8 then tracks a number field as any
  // value and an array field as any object, so each hot-path load of it is
  // checked (Smi tag, map). Declared, each field's first value is its type.
  // Measured on bench/trace.ts's runTable: 10.9 -> 10.3 ns per access.
  /** Every function's virtual state, by slot (see VirtualShadow for a function's view by dword). */
  declare readonly words: Uint32Array;
  /** Words per function (tables.stateWords). */
  declare readonly stride: number;
  /** log2(stride): function fn's words start at fn << shift (a shift, not a multiplication with its overflow check: bench:c faster in 3 of 4 runs). */
  private declare readonly shift: number;
  /** One bit per dword of every function: its default-deny line was logged (a bit, not a byte: 1.25 MB for 10,000 VFs, not 10). */
  private declare readonly denyLogged: Uint32Array;
  /**
   * @internal What the hot path reads, one typed array (pool-memory.ts): a
   * copy of tables.hot, then every function's state (`words`, from `first`).
   * Int32: V8 keeps a loaded int32 in a register as it is, where a uint32
   * used as an index or stored back is checked first (1-2% in bench:c). One
   * array and not two: each typed array the hot path touches costs three
   * loads (data pointer, base, length) and a bounds check (runTable 4-5%).
   */
  declare readonly mem: Int32Array;
  /** @internal Where function 0's state starts in `mem` (a word index). */
  declare readonly first: number;
  private declare readonly preserve: Uint32Array;
  /** The per-function objects, for what is not the hot path (logs, the platform), and what hooks are given. */
  private readonly devices: VirtualDevice[] = [];
  /**
   * Each function's hook handler, beside `devices` rather than on the device
   * object: calling it loads no device object (over 10,000 VFs each such load
   * is a cache miss; the handler loads what it uses).
   */
  private readonly hooks: HookHandler[] = [];
  /** Per function, the hooks its handler acts on (handledHooks' bits): it is not called for others. */
  private declare readonly handled: Int32Array;
  /** @internal */
  declare readonly hosts: HostFunctions;
  private declare readonly hostList: HostList | undefined;
  declare readonly tables: DeviceTables;
  declare readonly capacity: number;

  /**
   * `hosts`: how the hot path reaches function fn's host (a flat pool, as in
   * the bench); by default, the host each VirtualDevice was created with.
   */
  constructor(tables: DeviceTables, capacity: number, hosts?: HostFunctions) {
    this.tables = tables;
    this.capacity = capacity;
    this.stride = tables.stateWords;
    this.shift = 31 - Math.clz32(tables.stateWords);
    const { mem, first } = poolMemory(tables.hot, capacity, tables.stateWords);
    this.mem = mem;
    this.first = first;
    this.words = new Uint32Array(mem.buffer, first * 4, capacity * tables.stateWords);
    this.denyLogged = new Uint32Array(capacity * (CONFIG_DWORDS / 32));
    this.handled = new Int32Array(capacity);
    this.preserve = tables.preserve;
    if (hosts) {
      this.hosts = hosts;
      this.hostList = undefined;
    } else {
      const list = new HostList();
      this.hosts = list;
      this.hostList = list;
    }
  }

  /** Called by VirtualDevice's constructor: the new device's function number. */
  add(device: VirtualDevice, host: HostDevice, onHook: HookHandler): number {
    if (this.devices.length >= this.capacity) throw new CfgvirtError([error("A003", `device state pool is full (${this.capacity} devices)`, undefined, "create the DeviceStates with a larger capacity")]);
    if (device.tables !== this.tables) throw new CfgvirtError([error("A004", "a device joins a DeviceStates pool with other tables than the pool's", undefined, "create one DeviceStates per set of attached tables")]);
    this.hostList?.hosts.push(host);
    this.hooks.push(onHook);
    this.handled[this.devices.length] = handledHooks(onHook);
    return this.devices.push(device) - 1;
  }

  // The common case (size 1, 2 or 4 within one dword) is tested with a table
  // lookup rather than a chain of comparisons: sizes in a trace are random, and
  // a mispredicted branch costs more than the load. It is served in readWith
  // and writeWith themselves, not in a helper: V8 inlines a bounded amount of
  // code into a caller, and each level of calls spends some of it (read and
  // write are small enough that V8 always inlines them).
  //
  // Offsets into `hot` are HOT's word positions (tables.ts), written as
  // literals so that V8 sees constant indexes: 0 hwRead, 1 virtRead,
  // 2 virtWrite, 3 virtW1C, 4 hwWrite, 5 slot, 6 hookBits, 7 denied.

  /** @internal Where function `fn`'s state starts in `mem` (a word index). */
  stateBase(fn: number): number {
    return (this.first + (fn << this.shift)) | 0;
  }

  /** The guest reads `size` bytes at `offset` of function `fn` (a number `add` returned). */
  read(fn: number, offset: number, size: number): number {
    // A number the pool never gave out is an absent function, as on a bus: all-ones.
    // (Pools of one share a block: a neighbour's state lies past this pool's.)
    if ((fn >>> 0) !== fn || fn >= this.devices.length) return allOnes(size);
    return this.readWith(this.mem, this.hosts, this.stateBase(fn), fn, offset, size);
  }

  /** @internal read, given the pool's arrays and function fn's first state word (VirtualDevice keeps them, one load nearer). */
  readWith(h: Int32Array, hosts: HostFunctions, base: number, fn: number, offset: number, size: number): number {
    // (offset & 4095) === offset: an integer in 0..4095 (not NaN, a fraction, negative or past the end).
    const enable = ENABLE[(size & 7) | ((offset & 3) << 3)];
    if (!(enable !== 0 && size === (size & 7) && (offset & 4095) === offset)) return this.readSplit(fn, offset, size);
    const d = offset >>> 2;
    const i = d << 3;
    let v = h[(base + h[i + 5]) | 0] & h[i + 1];
    // The host is read only when the bytes asked for hold a passed-through bit:
    // each host read costs a sysfs or VFIO access on real hardware.
    const hr = h[i] & enable;
    if (hr !== 0) {
      const hw = hosts.functionRead32(fn, d);
      if (hw === 0xffffffff) this.devices[fn].noteAllOnes();
      v |= hw & hr;
    }
    return (v & enable) >>> ((offset & 3) << 3);
  }

  /** The guest writes `size` bytes of `value` at `offset` of function `fn`. */
  write(fn: number, offset: number, size: number, value: number): void {
    if ((fn >>> 0) !== fn || fn >= this.devices.length) return; // an absent function: dropped
    this.writeWith(this.mem, this.stateBase(fn), fn, offset, size, value);
  }

  /** @internal write, given the pool's arrays and function fn's first state word (as readWith). */
  writeWith(h: Int32Array, base: number, fn: number, offset: number, size: number, value: number): void {
    const enable = ENABLE[(size & 7) | ((offset & 3) << 3)];
    if (!(enable !== 0 && size === (size & 7) && (offset & 4095) === offset)) {
      this.writeSplit(fn, offset, size, value);
      return;
    }
    const d = offset >>> 2;
    const i = d << 3;
    const shift = (offset & 3) << 3;
    const v = (value << shift) & enable;
    const at = (base + h[i + 5]) | 0;
    let s = h[at];
    // Without a branch (vw = 0 leaves s as it is): whether a write covers
    // emulated bits is random on a guest's trace, and a mispredict costs more.
    const vw = h[i + 2] & enable;
    s = (s & ~vw) | (v & vw);
    s &= ~(h[i + 3] & v);
    h[at] = s;
    const pass = h[i + 4] & enable;
    if (pass !== 0) this.writeHardware(fn, d, v, enable, pass, offset, size);
    const trapped = h[i + 6] >>> 0; // handlers see the mask as a uint32 (0xffff0000, not -65536)
    if ((trapped & enable) !== 0) {
      const k = this.tables.hook[d];
      if (((this.handled[fn] >>> k) & 1) !== 0) this.hooks[fn](this.devices[fn], HOOK_NAMES[k - 1], d, enable, trapped);
    }
    if ((h[i + 7] & enable) !== 0) this.noteDenied(fn, d);
  }

  /**
   * Only bytes holding passed-through writable bits reach the hardware. Within
   * them, guest bits go as written, other bits as the hardware holds them
   * (preserve), except RW1C and RsvdZ bits the guest does not own, written 0.
   */
  private writeHardware(fn: number, d: number, v: number, enable: number, pass: number, offset: number, size: number): void {
    const keep = this.preserve[d] & enable;
    let out = v & pass;
    if (keep !== 0) out |= this.hosts.functionRead32(fn, d) & keep;
    // Bit 0 of each byte of `lanes` says whether that byte holds a passed bit.
    let lanes = pass | (pass >>> 4);
    lanes |= lanes >>> 2;
    lanes |= lanes >>> 1;
    lanes &= 0x01010101;
    if (lanes === (enable & 0x01010101)) {
      this.hosts.functionWrite(fn, offset, size as 1 | 2 | 4, (out & enable) >>> ((offset & 3) << 3));
      return;
    }
    for (let i = 0; i < 4; i++) {
      if ((lanes >>> (i << 3)) & 1) this.hosts.functionWrite(fn, d * 4 + i, 1, (out >>> (i << 3)) & 0xff);
    }
  }

  private readSplit(fn: number, offset: number, size: number): number {
    if (!(size === 1 || size === 2 || size === 4) || !Number.isInteger(offset) || offset < 0 || offset > 4095) return allOnes(size);
    let v = 0;
    for (let i = size - 1; i >= 0; i--) {
      const b = offset + i < 4096 ? this.read(fn, offset + i, 1) : 0xff;
      v = (v << 8) | b;
    }
    return v >>> 0;
  }

  private writeSplit(fn: number, offset: number, size: number, value: number): void {
    if (!(size === 1 || size === 2 || size === 4)) return;
    if (!Number.isInteger(offset) || offset < 0 || offset > 4095) return;
    for (let i = 0; i < size && offset + i < 4096; i++) this.write(fn, offset + i, 1, (value >>> (i << 3)) & 0xff);
  }

  /** A write touched default-deny bits of dword `d`: logged once per dword and function. */
  private noteDenied(fn: number, d: number): void {
    const at = fn * CONFIG_DWORDS + d;
    if ((this.denyLogged[at >>> 5] & (1 << (at & 31))) !== 0) return;
    this.denyLogged[at >>> 5] |= 1 << (at & 31);
    this.devices[fn].log.emit(`write to 0x${(d * 4).toString(16).padStart(3, "0")} touches bytes no rule covers; dropped (default deny)`);
  }
}

/** All-ones of an access's size (0xffffffff for a size that is not 1 or 2): what a read nothing answers returns, as on a bus. */
function allOnes(size: number): number {
  return size === 1 ? 0xff : size === 2 ? 0xffff : 0xffffffff;
}

/**
 * One function's virtual copy of the emulated and hidden bits, by dword (what
 * hooks and the platform change; the guest's masks do not apply). A dword
 * with no virtual state (no slot) reads 0 and ignores writes: its bits are
 * passed through, or no rule covers them and the default denies them.
 */
export class VirtualShadow {
  // `declare`d, as DeviceStates' fields: set once in the constructor, each with its type.
  private declare readonly base: number;
  private declare readonly slot: Uint16Array;
  private declare readonly words: Uint32Array;
  private declare readonly initial: Uint32Array;

  constructor(states: DeviceStates, fn: number) {
    this.words = states.words;
    this.base = fn * states.stride;
    this.slot = states.tables.slot;
    this.initial = states.tables.initialState;
  }

  /** Dword `d` (0..1023) of the virtual copy. */
  get(d: number): number {
    return this.words[this.base + (this.slot[d] ?? 0)];
  }

  /** Set dword `d`; dropped for a dword with no virtual state. */
  set(d: number, value: number): void {
    const k = this.slot[d] ?? 0;
    if (k !== 0) this.words[this.base + k] = value;
  }

  /** Back to what attach computed. */
  reset(): void {
    this.words.set(this.initial, this.base);
  }

  /** All 1024 dwords, a copy (for comparisons and tests, not the hot path). */
  toArray(): Uint32Array {
    const out = new Uint32Array(CONFIG_DWORDS);
    for (let d = 0; d < CONFIG_DWORDS; d++) out[d] = this.get(d);
    return out;
  }
}

/** The hot path's view of a device's own host (a pool of one) that is not its own HostFunctions. */
class OneHost implements HostFunctions {
  // `declare`d, as DeviceStates' fields (a parameter property is first defined as undefined).
  private declare readonly host: HostDevice;
  constructor(host: HostDevice) {
    this.host = host;
  }
  functionRead32(_fn: number, index: number): number {
    return this.host.read32(index);
  }
  functionWrite(_fn: number, offset: number, size: 1 | 2 | 4, value: number): void {
    this.host.write(offset, size, value);
  }
}

/** A host that serves the hot path itself (a simulated device), one object less to load than OneHost. */
function isHostFunctions(host: HostDevice): host is HostDevice & HostFunctions {
  return typeof (host as Partial<HostFunctions>).functionRead32 === "function" && typeof (host as Partial<HostFunctions>).functionWrite === "function";
}

/** The hot path's view of hosts that each VirtualDevice brought (the default). */
class HostList implements HostFunctions {
  readonly hosts: HostDevice[] = [];
  functionRead32(fn: number, index: number): number {
    return this.hosts[fn].read32(index);
  }
  functionWrite(fn: number, offset: number, size: 1 | 2 | 4, value: number): void {
    this.hosts[fn].write(offset, size, value);
  }
}

/**
 * One attached device: function `fn` of a DeviceStates pool, its own pool of
 * one unless `states` is given (identical VFs sharing `tables`).
 */
export class VirtualDevice {
  // `declare`d fields: see DeviceStates (the hot path loads states and fn).
  /** The guest's virtual copy of every emulated and hidden bit (this device's words of the pool's state). */
  declare readonly shadow: VirtualShadow;
  declare readonly states: DeviceStates;
  /** This device's number in `states`. */
  declare readonly fn: number;
  declare readonly tables: DeviceTables;
  declare readonly host: HostDevice;
  declare readonly log: DeviceLog;
  // The pool's hot-path arrays and this function's first state word, loaded
  // from here rather than through `states`: one dependent load less before
  // the tables can be read (after a mispredicted branch, the chain of loads
  // is what the CPU waits for).
  private declare readonly mem: Int32Array;
  private declare readonly hosts: HostFunctions;
  private declare readonly base: number;
  private removalLogged = false;

  constructor(tables: DeviceTables, host: HostDevice, log: DeviceLog = new DeviceLog(() => {}), onHook: HookHandler = NO_HOOKS, states?: DeviceStates) {
    this.tables = tables;
    this.host = host;
    this.log = log;
    this.states = states ?? new DeviceStates(tables, 1, isHostFunctions(host) ? host : new OneHost(host));
    this.fn = this.states.add(this, host, onHook);
    this.mem = this.states.mem;
    this.hosts = this.states.hosts;
    this.base = this.states.stateBase(this.fn);
    this.shadow = new VirtualShadow(this.states, this.fn);
    this.shadow.reset();
    if (tables.policy.permissive) this.log.once("permissive", `device "${tables.policy.name}" is permissive: uncovered bytes pass through`);
  }

  read(offset: number, size: number): number {
    return this.states.readWith(this.mem, this.hosts, this.base, this.fn, offset, size);
  }

  write(offset: number, size: number, value: number): void {
    this.states.writeWith(this.mem, this.base, this.fn, offset, size, value);
  }

  /** @internal The hot path read all-ones from the host: a register may legitimately read all-ones; a Vendor ID of 0xffff means the device is gone. */
  noteAllOnes(): void {
    if (this.removalLogged || (this.host.read32(0) & 0xffff) !== 0xffff) return;
    this.removalLogged = true;
    this.log.emit("host device reads all-ones (surprise removal): passed-through bits read as all-ones, virtual ones as the guest left them");
  }

  /** Reset the virtual state to what attach computed (function-level reset, tests). */
  resetShadow(): void {
    this.shadow.reset();
  }
}
