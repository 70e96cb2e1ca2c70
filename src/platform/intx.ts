// INTx through an emulated interrupt controller (an I/O APIC's redirection
// table, reduced to what the platform needs): 24 level-triggered lines, each
// with a vector, a destination vCPU and a mask the guest programs. A line
// delivers when it rises while unmasked and no earlier delivery awaits EOI
// (Remote IRR); at EOI a line still high delivers again, as a level-triggered
// input does.
//
// A passed-through function drives its line through the platform, which
// follows Linux vfio-pci rather than Xen here: the guest's Command.Interrupt
// Disable is virtual (rules/header-type0.rules) and the platform masks the
// interrupt on the host side (vfio_pci_intx_mask / virtual INTx disable in
// vfio_pci_config.c), where QEMU's Xen pass-through writes the bit to the
// hardware. Either way the guest sees no INTx while it has set the bit, and
// Status.Interrupt Status (hardware, passed through) still shows the
// device's request, as PCI LB 3.0 §6.2.3 says it must.
import { Ring } from "./ring.js";
import type { Vcpus } from "./vcpus.js";

export const INTX_LINES = 24;
/** The first line PCI functions use (after the ISA interrupts). */
export const FIRST_PCI_LINE = 16;

interface Line {
  vector: number;
  destination: number;
  masked: boolean;
  remoteIrr: boolean;
  /** Sources currently asserting it (a line is shared by functions). */
  readonly sources: Set<string>;
}

export interface IntxDelivery {
  readonly line: number;
  readonly source: string;
  readonly vcpu: number;
  readonly vector: number;
}

export class InterruptController {
  private readonly lines: Line[] = Array.from({ length: INTX_LINES }, (_, i) => ({
    vector: 0x30 + i,
    destination: 0,
    masked: false,
    remoteIrr: false,
    sources: new Set<string>(),
  }));
  /** Deliveries to vCPUs (bounded). */
  readonly deliveries = new Ring<IntxDelivery>(256);

  constructor(private readonly cpus: Vcpus) {}

  /** The guest's redirection entry for `line`. */
  program(line: number, entry: { vector?: number; destination?: number; masked?: boolean }): void {
    const l = this.lines[line];
    if (!l) throw new RangeError(`no interrupt line ${line}`);
    if (entry.vector !== undefined) l.vector = entry.vector & 0xff;
    if (entry.destination !== undefined) l.destination = entry.destination;
    if (entry.masked !== undefined) l.masked = entry.masked;
    this.maybeDeliver(line);
  }

  level(line: number): boolean {
    return (this.lines[line]?.sources.size ?? 0) > 0;
  }

  assert(line: number, source: string): void {
    const l = this.lines[line];
    if (!l || l.sources.has(source)) return;
    l.sources.add(source);
    this.maybeDeliver(line);
  }

  deassert(line: number, source: string): void {
    this.lines[line]?.sources.delete(source);
  }

  /** The guest's end-of-interrupt for `line`: a line still high delivers again. */
  eoi(line: number): void {
    const l = this.lines[line];
    if (!l) return;
    l.remoteIrr = false;
    this.maybeDeliver(line);
  }

  private maybeDeliver(line: number): void {
    const l = this.lines[line];
    if (l.masked || l.remoteIrr || l.sources.size === 0) return;
    l.remoteIrr = true;
    const d = this.cpus.deliverVector(l.destination, l.vector);
    const [source] = l.sources;
    this.deliveries.push({ line, source, vcpu: d.vcpu ?? 0, vector: l.vector });
  }
}

/** The line a slot's INTA..INTD reaches: the usual swizzle by device number. */
export function intxLine(slot: number, pin: number): number {
  return FIRST_PCI_LINE + ((slot + Math.max(pin, 1) - 1) & 3);
}
