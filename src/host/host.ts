// What the runtime needs from the device behind a virtual function: dword reads
// and sized writes. Implemented by the simulated device model here; a real
// hypervisor would back it with sysfs or its config-space accessors.
export interface HostDevice {
  /** Bytes of configuration space the device implements: 64, 256 or 4096. */
  readonly size: number;
  /** Read dword `index` (0..1023). Bytes past `size` read 0; a removed device reads all-ones. */
  read32(index: number): number;
  /** Write `size` bytes (1, 2 or 4) at `offset`; never crosses a dword. */
  write(offset: number, size: 1 | 2 | 4, value: number): void;
}

/**
 * The hosts of many functions addressed by number, as a pool of identical
 * SR-IOV VFs can be: the hot path reaches function `fn`'s host by arithmetic,
 * without a per-function object to load first (see DeviceStates).
 */
export interface HostFunctions {
  /** HostDevice.read32 of function `fn`. */
  functionRead32(fn: number, index: number): number;
  /** HostDevice.write of function `fn`. */
  functionWrite(fn: number, offset: number, size: 1 | 2 | 4, value: number): void;
}

/** How the simulated hardware treats writes, per bit of each dword. */
export interface HardwareBehaviour {
  /** Bits that take the written value (RW, RWS, and bytes no rule describes). */
  readonly writable: Uint32Array;
  /** Bits that clear when written 1 (RW1C, RW1CS). */
  readonly w1c: Uint32Array;
  /** Bits that always read 0 (RsvdZ). */
  readonly rsvdz: Uint32Array;
}

export const CONFIG_DWORDS = 1024;
