// What sits behind a served device's BARs. The guest reaches them at the
// addresses it programmed (the BAR values it reads through the runtime); the
// MSI-X table and PBA are emulated at the BAR and offset the MSI-X capability
// names, every other byte is a simulated register file: what the device holds
// is unknown for a dump, so it honestly starts at 0 and keeps what is written.
// The one register that moves by itself is a UHCI's frame counter, which
// firmware waits on.
//
// src/platform/ (issue 9) maps BARs and backs them with register files for the
// simulated machine; this model is the transport's small equivalent and could
// later share the register file and the MSI-X table with it.
import type { DeviceTables } from "../runtime/attach.js";
import type { BarInfo } from "../runtime/bars.js";
import type { VirtualDevice } from "../runtime/virtual-device.js";

const PAGE = 4096;

/** A sparse byte store: pages appear on first write, so an 8 GiB BAR costs nothing until used. */
class RegisterFile {
  private readonly pages = new Map<number, Uint8Array>();

  read(offset: number): number {
    return this.pages.get(Math.floor(offset / PAGE))?.[offset % PAGE] ?? 0;
  }

  write(offset: number, byte: number): void {
    const key = Math.floor(offset / PAGE);
    let page = this.pages.get(key);
    if (!page) this.pages.set(key, (page = new Uint8Array(PAGE)));
    page[offset % PAGE] = byte;
  }

  clear(): void {
    this.pages.clear();
  }
}

/**
 * A UHCI (class 0x0c0300) counts frames in FRNUM while USBCMD's Run/Stop bit is
 * set (UHCI 1.1 §2.1.1, §2.1.4: every 1 ms), and firmware waits for the count to
 * move: SeaBIOS's uhci_waittick polls it for up to 5 s when it frees its pipes.
 * Time does not exist here, so a running counter moves by one on each read.
 */
const UHCI_CLASS = 0x0c0300;
const UHCI_BAR = 4; // USBBASE, configuration offset 0x20
const USBCMD = 0x00;
const FRNUM = 0x06;

/** The MSI-X structures a capability names (PCI LB 3.0 §6.8.2): BAR, offset, size. */
interface MsixLayout {
  readonly tableBar: number;
  readonly tableOffset: number;
  readonly entries: number;
  readonly pbaBar: number;
  readonly pbaOffset: number;
}

export interface BarHit {
  readonly bar: BarInfo;
  readonly offset: number;
}

export class BarModel {
  private readonly files: RegisterFile[] = Array.from({ length: 7 }, () => new RegisterFile());
  private readonly msix: MsixLayout | undefined;
  /** Per table entry: address low, address high, data, vector control. */
  private readonly table: Uint32Array;
  /** The I/O BAR whose FRNUM counts frames (a UHCI's), or -1. */
  private readonly frameCounterBar: number;

  constructor(
    private readonly tables: DeviceTables,
    private readonly device: VirtualDevice,
  ) {
    this.msix = msixLayout(tables, device);
    this.table = new Uint32Array((this.msix?.entries ?? 0) * 4);
    const uhciIo = device.read(0x08, 4) >>> 8 === UHCI_CLASS && tables.bars.some((b) => b.index === UHCI_BAR && b.kind === "io" && b.size > FRNUM + 1);
    this.frameCounterBar = uhciIo ? UHCI_BAR : -1;
    this.reset();
  }

  /** Function-level reset: register files empty, every MSI-X vector masked (its reset value). */
  reset(): void {
    for (const f of this.files) f.clear();
    this.table.fill(0);
    for (let i = 3; i < this.table.length; i += 4) this.table[i] = 1;
  }

  /** The BAR decoding `address` in memory or I/O space, at the addresses the guest programmed. */
  decode(address: number, memory: boolean): BarHit | undefined {
    const command = this.device.read(0x04, 2);
    if ((command & (memory ? 2 : 1)) === 0) return undefined;
    for (const bar of this.tables.bars) {
      if (bar.size === 0 || bar.index === 6 || (bar.kind === "io") === memory) continue;
      const base = this.baseOf(bar);
      if (address >= base && address < base + bar.size) return { bar, offset: address - base };
    }
    return undefined;
  }

  private baseOf(bar: BarInfo): number {
    const low = this.device.read(0x10 + 4 * bar.index, 4);
    const mask = bar.kind === "io" ? 0xfffffffc : 0xfffffff0;
    const high = bar.kind === "mem64" ? this.device.read(0x14 + 4 * bar.index, 4) : 0;
    return high * 2 ** 32 + ((low & mask) >>> 0);
  }

  read(hit: BarHit, size: number): bigint {
    if (hit.bar.index === this.frameCounterBar && hit.offset <= FRNUM + 1 && hit.offset + size > FRNUM) this.countFrame();
    let v = 0n;
    for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(this.readByte(hit.bar.index, hit.offset + i));
    return v;
  }

  write(hit: BarHit, size: number, value: bigint): void {
    for (let i = 0; i < size; i++) this.writeByte(hit.bar.index, hit.offset + i, Number((value >> BigInt(8 * i)) & 0xffn));
  }

  /** The next frame, when the controller runs: FRNUM's 11-bit count (bits 15:11 are reserved, 0). */
  private countFrame(): void {
    const io = this.files[UHCI_BAR];
    if ((io.read(USBCMD) & 1) === 0) return;
    const next = ((io.read(FRNUM) | (io.read(FRNUM + 1) << 8)) + 1) & 0x7ff;
    io.write(FRNUM, next & 0xff);
    io.write(FRNUM + 1, next >> 8);
  }

  private readByte(bar: number, offset: number): number {
    const m = this.msix;
    if (m && bar === m.tableBar && offset >= m.tableOffset && offset < m.tableOffset + m.entries * 16) {
      const o = offset - m.tableOffset;
      return (this.table[o >> 2] >>> ((o & 3) * 8)) & 0xff;
    }
    if (m && bar === m.pbaBar && offset >= m.pbaOffset && offset < m.pbaOffset + Math.ceil(m.entries / 64) * 8) {
      return 0; // Nothing is ever pending: the proxy has no interrupt path without KVM.
    }
    return this.files[bar].read(offset);
  }

  private writeByte(bar: number, offset: number, byte: number): void {
    const m = this.msix;
    if (m && bar === m.tableBar && offset >= m.tableOffset && offset < m.tableOffset + m.entries * 16) {
      const o = offset - m.tableOffset;
      const word = o >> 2;
      // Vector Control: only bit 0 (Mask) is writable; the rest is reserved.
      const writable = (word & 3) !== 3 ? 0xff : (o & 3) === 0 ? 0x1 : 0;
      const shift = (o & 3) * 8;
      const keep = this.table[word] & ~((writable << shift) >>> 0);
      this.table[word] = (keep | ((byte & writable) << shift)) >>> 0;
      return;
    }
    if (m && bar === m.pbaBar && offset >= m.pbaOffset && offset < m.pbaOffset + Math.ceil(m.entries / 64) * 8) return; // PBA is read-only
    this.files[bar].write(offset, byte);
  }
}

/** Where the MSI-X capability the guest sees puts its table and PBA (undefined when it is hidden). */
function msixLayout(tables: DeviceTables, device: VirtualDevice): MsixLayout | undefined {
  const cap = tables.placed.find((p) => p.visible && p.template.kind === "capability" && p.template.id === 0x11);
  if (!cap) return undefined;
  const control = device.read(cap.offset + 2, 2);
  const table = device.read(cap.offset + 4, 4);
  const pba = device.read(cap.offset + 8, 4);
  return {
    tableBar: table & 7,
    tableOffset: (table & ~7) >>> 0,
    entries: (control & 0x7ff) + 1,
    pbaBar: pba & 7,
    pbaOffset: (pba & ~7) >>> 0,
  };
}
