// PCI Configuration Mechanism #1 (PCI Local Bus 3.0 §3.2.2.3.2): port I/O at
// 0xCF8 (CONFIG_ADDRESS) and 0xCFC..0xCFF (CONFIG_DATA).
//
// CONFIG_ADDRESS: bit 31 enable, 23:16 bus, 15:11 device, 10:8 function,
// 7:2 register (dword index). Bits 30:24 and 1:0 are reserved and read 0.
// Only a 4-byte write to 0xCF8 latches it; a 4-byte read of 0xCF8 returns it.
// Narrower accesses to 0xCF8..0xCFB are not CONFIG_ADDRESS (on a PC they reach
// other registers, such as the reset control at 0xCF9, not modelled here): they
// read all-ones and writes are dropped.
//
// CONFIG_DATA: an access at 0xCFC + k of size s reaches configuration offset
// register * 4 + k. Bytes of an access that would run past 0xCFF are not
// configuration data: they read 0xff and their writes are dropped. With the
// enable bit clear, or no function at the address, CONFIG_DATA reads all-ones
// and writes are dropped. Only the first 256 bytes of a function are reachable.
import { allOnes, type ConfigRouter } from "./config-space.js";

export const CONFIG_ADDRESS_PORT = 0xcf8;
export const CONFIG_DATA_PORT = 0xcfc;

const ADDRESS_BITS = 0x80fffffc;

/** Encode CONFIG_ADDRESS for a function and register offset (the low two bits are dropped). */
export function configAddress(bus: number, device: number, fn: number, offset: number, enable = true): number {
  return ((enable ? 0x80000000 : 0) | ((bus & 0xff) << 16) | ((device & 0x1f) << 11) | ((fn & 7) << 8) | (offset & 0xfc)) >>> 0;
}

export class ConfigMechanism1 {
  private address = 0;

  constructor(private readonly router: ConfigRouter) {}

  /** Whether a port belongs to the mechanism (0xCF8..0xCFF). */
  static claims(port: number): boolean {
    return port >= CONFIG_ADDRESS_PORT && port <= CONFIG_DATA_PORT + 3;
  }

  ioRead(port: number, size: number): number {
    if (size !== 1 && size !== 2 && size !== 4) return 0xffffffff;
    if (port === CONFIG_ADDRESS_PORT && size === 4) return this.address;
    const k = port - CONFIG_DATA_PORT;
    if (k < 0 || k > 3) return allOnes(size);
    const inWindow = Math.min(size, 4 - k);
    const fnTarget = this.target();
    let v = fnTarget ? fnTarget.fn.read(fnTarget.offset + k, inWindow) : allOnes(inWindow);
    // Bytes past 0xCFF read as nothing answered.
    for (let i = inWindow; i < size; i++) v = (v | (0xff << (i * 8))) >>> 0;
    return v >>> 0;
  }

  ioWrite(port: number, size: number, value: number): void {
    if (size !== 1 && size !== 2 && size !== 4) return;
    if (port === CONFIG_ADDRESS_PORT && size === 4) {
      this.address = (value & ADDRESS_BITS) >>> 0;
      return;
    }
    const k = port - CONFIG_DATA_PORT;
    if (k < 0 || k > 3) return;
    const t = this.target();
    if (!t) return;
    const inWindow = Math.min(size, 4 - k);
    const mask = inWindow === 4 ? 0xffffffff : (1 << (inWindow * 8)) - 1;
    t.fn.write(t.offset + k, inWindow, (value & mask) >>> 0);
  }

  /** The latched CONFIG_ADDRESS. */
  get configAddress(): number {
    return this.address;
  }

  private target() {
    const a = this.address;
    if ((a & 0x80000000) === 0) return undefined;
    const fn = this.router.route((a >>> 16) & 0xff, (a >>> 11) & 0x1f, (a >>> 8) & 7);
    return fn ? { fn, offset: a & 0xfc } : undefined;
  }
}
