// Enhanced Configuration Access Mechanism (PCIe Base 6.0 §7.2.2; PCI Firmware
// 3.x MCFG): a memory window in which function (bus, device, function) owns
// the 4 KiB at base + (bus << 20 | device << 15 | function << 12). As in an
// MCFG entry, `base` is where bus 0 would be; the window covers buses
// startBus..endBus only.
//
// Accesses of 1, 2 or 4 bytes go to the function's read/write as they are:
// the VirtualDevice defines what a misaligned access or one running past the
// 4 KiB does. Addresses outside the window and absent functions read all-ones
// and drop writes.
import { allOnes, type ConfigRouter } from "./config-space.js";

export interface EcamWindow {
  /** Physical address of bus 0 (4 KiB aligned; a bus is 1 MiB). */
  readonly base: number;
  readonly startBus: number;
  readonly endBus: number;
}

/** The physical address of a configuration byte in an ECAM window. */
export function ecamAddress(base: number, bus: number, device: number, fn: number, offset: number): number {
  return base + bus * 0x100000 + device * 0x8000 + fn * 0x1000 + offset;
}

export class Ecam {
  constructor(
    readonly window: EcamWindow,
    private readonly router: ConfigRouter,
  ) {
    if (window.startBus < 0 || window.endBus > 255 || window.startBus > window.endBus) throw new RangeError("ECAM bus range must lie within 0..255");
  }

  /** The first address of the window and the one past its end. */
  get start(): number {
    return this.window.base + this.window.startBus * 0x100000;
  }

  get end(): number {
    return this.window.base + (this.window.endBus + 1) * 0x100000;
  }

  contains(address: number): boolean {
    return address >= this.start && address < this.end;
  }

  read(address: number, size: number): number {
    const t = this.decode(address);
    if (!t) return allOnes(size);
    const fn = this.router.route(t.bus, t.device, t.fn);
    return fn ? fn.read(t.offset, size) : allOnes(size);
  }

  write(address: number, size: number, value: number): void {
    const t = this.decode(address);
    if (!t) return;
    this.router.route(t.bus, t.device, t.fn)?.write(t.offset, size, value);
  }

  private decode(address: number) {
    if (!Number.isInteger(address) || !this.contains(address)) return undefined;
    const rel = address - this.window.base;
    return {
      bus: Math.floor(rel / 0x100000),
      device: Math.floor(rel / 0x8000) & 0x1f,
      fn: Math.floor(rel / 0x1000) & 7,
      offset: rel % 0x1000,
    };
  }
}
