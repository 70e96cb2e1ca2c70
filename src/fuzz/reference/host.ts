// What the reference needs from a device, declared here rather than imported:
// the oracle shares no code, and no type beyond the rule AST, with the table
// path it checks. The simulated host device satisfies these structurally.

/** A PCI function's configuration space, as the reference reads and writes it. */
export interface ReferenceHost {
  /** Bytes the device implements: 64, 256 or 4096. */
  readonly size: number;
  read32(index: number): number;
  write(offset: number, size: 1 | 2 | 4, value: number): void;
}

/** How the hardware treats a write, per bit of each dword, from the spec attributes. */
export interface HardwareFacts {
  readonly writable: Uint32Array;
  readonly w1c: Uint32Array;
  readonly rsvdz: Uint32Array;
}

/** Byte `offset` of the configuration space as the hardware holds it. */
export function hostByte(host: ReferenceHost, offset: number): number {
  return Math.floor((host.read32(offset >> 2) >>> 0) / 2 ** ((offset & 3) * 8)) % 256;
}
