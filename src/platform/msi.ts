// MSI and MSI-X mediation for passed-through functions.
//
// The guest's MSI address, data and enable are virtual (rules/msi.rules), and
// so are MSI-X Enable and Function Mask (rules/msix.rules). When the guest
// enables one of them, the platform programs the HOST's registers with its own
// address and a host vector (never the guest's values), and routes that host
// vector to the guest. A message from the device then reaches the guest at the
// address and data the guest programmed, read when the message arrives, so an
// address/data change while enabled (an affinity change) takes effect.
//
// MSI and MSI-X are never both on in the host (XSA-157 class): a guest that
// enables one while the platform has the other on is refused (logged once),
// and the host's register stays off.
import type { GuestInterrupts } from "./interrupts.js";
import { type HostVectors, PLATFORM_MSI_ADDRESS } from "./interrupts.js";
import { readHardware } from "./capabilities.js";
import type { MsixEntry, PassThroughFunction } from "./passthrough-function.js";

export interface HostRoute {
  readonly fn: PassThroughFunction;
  readonly kind: "msi" | "msix";
}

/** What the guest programmed in its virtual MSI capability, read through its own view. */
export function guestMsi(fn: PassThroughFunction): { enabled: boolean; address: bigint; data: number; vectors: number } {
  const base = fn.msi!;
  const d = fn.device;
  const control = d.read(base + 2, 2);
  const addr64 = (control & 0x80) !== 0;
  const lo = d.read(base + 4, 4);
  const hi = addr64 ? d.read(base + 8, 4) : 0;
  const data = d.read(base + (addr64 ? 0x0c : 0x08), 2);
  return { enabled: (control & 1) !== 0, address: (BigInt(hi) << 32n) | BigInt(lo), data, vectors: 1 << ((control >> 4) & 7) };
}

/** The guest's virtual MSI-X Enable and Function Mask. */
export function guestMsixControl(fn: PassThroughFunction): { enabled: boolean; masked: boolean } {
  const c = fn.device.read(fn.msix! + 2, 2);
  return { enabled: (c & 0x8000) !== 0, masked: (c & 0x4000) !== 0 };
}

export class MsiMediator {
  constructor(
    private readonly vectors: HostVectors<HostRoute>,
    private readonly guest: GuestInterrupts,
    /** With MSI and MSI-X off the device pulls its INTx pin (intx.ts decides whether the guest sees it). */
    private readonly intx: (fn: PassThroughFunction) => void = (fn) => guest.assertIntx(fn.name),
  ) {}

  /** The guest changed MSI Enable. */
  msiEnable(fn: PassThroughFunction, enabled: boolean): void {
    if (fn.msi === undefined) return;
    if (!enabled) {
      this.hostMsiOff(fn);
      return;
    }
    if (fn.msixVectors) {
      fn.device.log.once("msi-while-msix", "guest enabled MSI while MSI-X is enabled: refused, host MSI stays off");
      return;
    }
    if (fn.msiVectors) return;
    const base = fn.msi;
    const hostControl = readHardware(fn.host, base + 2, 2);
    const capable = 1 << ((hostControl >> 1) & 7);
    const count = Math.min(guestMsi(fn).vectors, capable);
    const vector = this.vectors.allocate(count, { fn, kind: "msi" });
    fn.msiVectors = { base: vector, count };
    const addr64 = (hostControl & 0x80) !== 0;
    // The platform writes the host registers directly: it is trusted, the guest is not.
    fn.host.write(base + 4, 4, PLATFORM_MSI_ADDRESS);
    if (addr64) fn.host.write(base + 8, 4, 0);
    fn.host.write(base + (addr64 ? 0x0c : 0x08), 2, vector);
    fn.host.write(base + 2, 2, (hostControl & ~0x71) | (Math.log2(count) << 4) | 1);
  }

  /** The guest changed MSI-X Enable or Function Mask. */
  msixControl(fn: PassThroughFunction, enabled: boolean, masked: boolean): void {
    if (fn.msix === undefined) return;
    if (!enabled) {
      this.hostMsixOff(fn);
      return;
    }
    if (fn.msiVectors) {
      fn.device.log.once("msix-while-msi", "guest enabled MSI-X while MSI is enabled: refused, host MSI-X stays off");
      return;
    }
    const base = fn.msix;
    const hostControl = readHardware(fn.host, base + 2, 2);
    if (!fn.msixVectors) {
      const count = fn.hostMsixTable.length;
      const vector = this.vectors.allocate(count, { fn, kind: "msix" });
      fn.msixVectors = { base: vector, count };
      // Program the host's table (in the BAR) before enabling.
      fn.hostMsixTable.forEach((e, i) => Object.assign(e, { address: BigInt(PLATFORM_MSI_ADDRESS), data: vector + i, masked: false }));
    }
    fn.host.write(base + 2, 2, (hostControl & ~0xc000) | 0x8000 | (masked ? 0x4000 : 0));
    if (masked) return;
    for (const i of [...fn.hostPending]) this.sendFromDevice(fn, i);
    for (const i of [...fn.guestPending]) {
      if (fn.guestMsixTable[i].masked) continue;
      fn.guestPending.delete(i);
      this.toGuest(fn, "msix", i);
    }
  }

  /** The guest wrote an MSI-X table entry through its BAR (the platform traps the table). */
  writeGuestMsixEntry(fn: PassThroughFunction, index: number, entry: Partial<MsixEntry>): void {
    const e = fn.guestMsixTable[index];
    if (!e) return;
    Object.assign(e, entry);
    if (!e.masked && fn.guestPending.has(index)) {
      fn.guestPending.delete(index);
      this.toGuest(fn, "msix", index);
    }
  }

  /**
   * Put a newly assigned function's host interrupts in a known state: MSI and
   * MSI-X off, Function Mask clear. A host driver may have left either on (the
   * real dumps were captured with MSI-X enabled), pointing at host addresses
   * no route knows.
   */
  quiesce(fn: PassThroughFunction): void {
    if (fn.msi !== undefined) fn.host.write(fn.msi + 2, 2, readHardware(fn.host, fn.msi + 2, 2) & ~1);
    if (fn.msix !== undefined) fn.host.write(fn.msix + 2, 2, readHardware(fn.host, fn.msix + 2, 2) & ~0xc000);
  }

  /** Turn host MSI and MSI-X off and drop every route (reset, removal). */
  teardown(fn: PassThroughFunction): void {
    this.hostMsiOff(fn);
    this.hostMsixOff(fn);
    fn.guestPending.clear();
  }

  /**
   * The device raises interrupt `vector`: it sends whatever its HOST registers
   * say (MSI-X table entry, or MSI address/data with the message number in the
   * low data bits). Returns the host message, or undefined when none was sent.
   */
  sendFromDevice(fn: PassThroughFunction, vector: number): { address: number; data: number } | undefined {
    if (fn.host.removed) return undefined;
    if (fn.msix !== undefined) {
      const c = readHardware(fn.host, fn.msix + 2, 2);
      if (c & 0x8000) {
        const e = fn.hostMsixTable[vector];
        if (!e) return undefined;
        if (c & 0x4000 || e.masked) {
          fn.hostPending.add(vector);
          return undefined;
        }
        fn.hostPending.delete(vector);
        return this.hostMessage(Number(e.address), e.data);
      }
    }
    if (fn.msi !== undefined) {
      const base = fn.msi;
      const c = readHardware(fn.host, base + 2, 2);
      if (c & 1) {
        const enabled = 1 << ((c >> 4) & 7);
        if (vector >= enabled) return undefined;
        const addr64 = (c & 0x80) !== 0;
        const address = readHardware(fn.host, base + 4, 4);
        const data = readHardware(fn.host, base + (addr64 ? 0x0c : 0x08), 2);
        return this.hostMessage(address, (data & ~(enabled - 1)) | vector);
      }
    }
    this.intx(fn);
    return undefined;
  }

  /** A message write reached the host's interrupt controller: remap it to the guest. */
  hostMessage(address: number, data: number): { address: number; data: number } {
    const hit = this.vectors.lookup(address, data);
    if (hit) this.toGuest(hit.route.fn, hit.route.kind, hit.index);
    return { address, data };
  }

  private toGuest(fn: PassThroughFunction, kind: "msi" | "msix", index: number): void {
    if (kind === "msi") {
      const g = guestMsi(fn);
      if (!g.enabled) return;
      this.guest.deliver(fn.name, g.address, (g.data & ~(g.vectors - 1)) | (index & (g.vectors - 1)));
      return;
    }
    const c = guestMsixControl(fn);
    if (!c.enabled) return;
    const e = fn.guestMsixTable[index];
    if (c.masked || e.masked) {
      fn.guestPending.add(index);
      return;
    }
    this.guest.deliver(fn.name, e.address, e.data);
  }

  private hostMsiOff(fn: PassThroughFunction): void {
    if (!fn.msiVectors || fn.msi === undefined) return;
    const c = readHardware(fn.host, fn.msi + 2, 2);
    fn.host.write(fn.msi + 2, 2, c & ~1);
    this.vectors.free(fn.msiVectors.base, fn.msiVectors.count);
    fn.msiVectors = undefined;
  }

  private hostMsixOff(fn: PassThroughFunction): void {
    if (!fn.msixVectors || fn.msix === undefined) return;
    const c = readHardware(fn.host, fn.msix + 2, 2);
    fn.host.write(fn.msix + 2, 2, c & ~0xc000);
    this.vectors.free(fn.msixVectors.base, fn.msixVectors.count);
    fn.msixVectors = undefined;
    fn.hostPending.clear();
  }
}
