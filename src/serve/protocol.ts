// QEMU's multi-process protocol (the proxy side is `-device x-pci-proxy-dev`):
// facts from QEMU 7.2's include/hw/remote/mpqemu-link.h, hw/remote/proxy.c and
// hw/remote/message.c. Every message is a 16-byte header, little-endian
// `{ int32 cmd; 4 bytes padding; uint64 size }`, then `size` bytes of body.
// Descriptors (memory fds, eventfds) travel beside the bytes as SCM_RIGHTS;
// Node cannot receive them, so they are accepted and dropped unread.

export const HEADER_SIZE = 16;

/** Command numbers (enum MPQemuCmd). */
export const Cmd = {
  SYNC_SYSMEM: 0,
  RET: 1,
  PCI_CFGWRITE: 2,
  PCI_CFGREAD: 3,
  BAR_WRITE: 4,
  BAR_READ: 5,
  SET_IRQFD: 6,
  DEVICE_RESET: 7,
} as const;
export type CmdNumber = (typeof Cmd)[keyof typeof Cmd];

/** Body sizes QEMU sends, per command (PciConfDataMsg 12, BarAccessMsg 24 with padding, SyncSysmemMsg 3 x 8 x 8). */
export const BODY_SIZE: Readonly<Record<number, number>> = {
  [Cmd.SYNC_SYSMEM]: 192,
  [Cmd.PCI_CFGWRITE]: 12,
  [Cmd.PCI_CFGREAD]: 12,
  [Cmd.BAR_WRITE]: 24,
  [Cmd.BAR_READ]: 24,
  [Cmd.SET_IRQFD]: 0,
  [Cmd.DEVICE_RESET]: 0,
};

/** Commands QEMU waits on for a RET (the others are one-way). */
export function expectsReply(cmd: number): boolean {
  return cmd !== Cmd.SYNC_SYSMEM && cmd !== Cmd.SET_IRQFD && cmd !== Cmd.RET;
}

/**
 * Largest body kept: MPQemuMsg's data union is 192 bytes (QEMU refuses larger
 * ones itself). A larger size is consumed and dropped as it streams in, never
 * buffered, so a bad size cannot grow memory.
 */
export const MAX_BODY = 192;

export interface Message {
  readonly cmd: number;
  /** The size the header declared. */
  readonly size: number;
  /** The body, or its first MAX_BODY bytes when the declared size was larger. */
  readonly body: Uint8Array;
}

/** A RET message carrying `value` (QEMU reads it as data.u64). */
export function encodeRet(value: bigint): Buffer {
  const b = Buffer.alloc(HEADER_SIZE + 8);
  b.writeInt32LE(Cmd.RET, 0);
  b.writeBigUInt64LE(8n, 8);
  b.writeBigUInt64LE(BigInt.asUintN(64, value), 16);
  return b;
}

/** Any message, as QEMU would send it (for tests and the benchmark's client). */
export function encodeMessage(cmd: number, body: Uint8Array): Buffer {
  const b = Buffer.alloc(HEADER_SIZE + body.length);
  b.writeInt32LE(cmd, 0);
  b.writeBigUInt64LE(BigInt(body.length), 8);
  b.set(body, HEADER_SIZE);
  return b;
}

/** PciConfDataMsg: `{ u32 addr; u32 val; i32 len }`. */
export function configBody(addr: number, val: number, len: number): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt32LE(addr >>> 0, 0);
  b.writeUInt32LE(val >>> 0, 4);
  b.writeInt32LE(len | 0, 8);
  return b;
}

/** BarAccessMsg: `{ u64 addr; u64 val; u32 size; bool memory; 3 bytes padding }`. */
export function barBody(addr: bigint, val: bigint, size: number, memory: boolean): Buffer {
  const b = Buffer.alloc(24);
  b.writeBigUInt64LE(BigInt.asUintN(64, addr), 0);
  b.writeBigUInt64LE(BigInt.asUintN(64, val), 8);
  b.writeUInt32LE(size >>> 0, 16);
  b.writeUInt8(memory ? 1 : 0, 20);
  return b;
}
