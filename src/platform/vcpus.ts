// The guest's processors as far as interrupts go: N vCPUs, each with a local
// interrupt controller (a local APIC) that records the vectors delivered to
// it, and the decoding of an MSI message into a destination (Intel SDM
// vol. 3 §11.11: address 0xFEE in bits 31:20, Destination ID in 19:12,
// Destination Mode in bit 2; data: vector in 7:0, delivery mode in 10:8).
//
// The talk's goal for interrupts is that each lands on the vCPU the guest
// named, with no redirection through another vCPU (Xen 3.3 sent every one to
// vCPU 0 first). The platform delivers to the named vCPU and counts every
// delivery that had to go elsewhere: a physical destination naming no vCPU,
// or a named vCPU that is offline (both go to the first online vCPU).
import { Ring } from "./ring.js";

export const MSI_ADDRESS_BASE = 0xfee0_0000;

/** One vCPU's local interrupt controller. */
export class LocalApic {
  /** Vectors delivered, newest last (bounded). */
  readonly vectors = new Ring<number>(64);
  /** The vector of the last interrupt still awaiting EOI, or -1. */
  inService = -1;

  constructor(readonly id: number) {}

  accept(vector: number): void {
    this.vectors.push(vector);
    this.inService = vector;
  }

  get delivered(): number {
    return this.vectors.total;
  }
}

export class Vcpu {
  readonly apic: LocalApic;
  online = true;

  constructor(readonly index: number) {
    this.apic = new LocalApic(index);
  }
}

export interface MsiDelivery {
  /** The vCPU that received it, or undefined when the message was not an interrupt. */
  readonly vcpu: number | undefined;
  readonly vector: number;
  readonly redirected: boolean;
}

/** What an MSI address and data name: destination, mode and vector. */
export function decodeMsi(address: bigint | number, data: number): { isInterrupt: boolean; destination: number; logical: boolean; vector: number } {
  // A number is a 32-bit address (an int32 from bitwise arithmetic included); a bigint may carry the upper half.
  const full = typeof address === "number" ? BigInt(address >>> 0) : address;
  const a = Number(full & 0xffff_ffffn);
  return {
    isInterrupt: (a & 0xfff0_0000) >>> 0 === MSI_ADDRESS_BASE && full >> 32n === 0n,
    destination: (a >>> 12) & 0xff,
    logical: (a & 0x4) !== 0,
    vector: data & 0xff,
  };
}

/** The MSI address that names vCPU `index` in physical destination mode. */
export function msiAddressFor(index: number): number {
  return (MSI_ADDRESS_BASE | ((index & 0xff) << 12)) >>> 0;
}

export class Vcpus {
  readonly cpus: readonly Vcpu[];
  /** Deliveries that went to another vCPU than the one the message named (goal: 0). */
  redirections = 0;
  /** Message writes that were not interrupts (address outside 0xFEExxxxx). */
  notInterrupts = 0;

  constructor(count = 1) {
    if (!Number.isInteger(count) || count < 1 || count > 255) throw new RangeError("a machine has 1..255 vCPUs");
    this.cpus = Array.from({ length: count }, (_, i) => new Vcpu(i));
  }

  get count(): number {
    return this.cpus.length;
  }

  /** Deliver an MSI to the vCPU its address names. */
  deliverMsi(address: bigint | number, data: number): MsiDelivery {
    const m = decodeMsi(address, data);
    if (!m.isInterrupt) {
      this.notInterrupts++;
      return { vcpu: undefined, vector: m.vector, redirected: false };
    }
    if (!m.logical && m.destination === 0xff) {
      // Physical broadcast: every online vCPU, none redirected.
      for (const c of this.cpus) if (c.online) c.apic.accept(m.vector);
      return { vcpu: this.firstOnline(), vector: m.vector, redirected: false };
    }
    // Logical flat mode: bit i of the destination names vCPU i; the lowest named online vCPU takes it.
    let named = -1;
    if (m.logical) {
      for (let i = 0; i < Math.min(8, this.cpus.length); i++) if ((m.destination >> i) & 1 && this.cpus[i].online) { named = i; break; }
    } else if (m.destination < this.cpus.length && this.cpus[m.destination].online) named = m.destination;
    return this.deliverVector(named, m.vector);
  }

  /** Deliver `vector` to vCPU `index` (an emulated interrupt controller's route); redirected when it cannot take it. */
  deliverVector(index: number, vector: number): MsiDelivery {
    const ok = index >= 0 && index < this.cpus.length && this.cpus[index].online;
    const target = ok ? index : this.firstOnline();
    if (!ok) this.redirections++;
    this.cpus[target].apic.accept(vector & 0xff);
    return { vcpu: target, vector: vector & 0xff, redirected: !ok };
  }

  /** Per vCPU, how many interrupts it received. */
  deliveries(): number[] {
    return this.cpus.map((c) => c.apic.delivered);
  }

  private firstOnline(): number {
    const i = this.cpus.findIndex((c) => c.online);
    return i < 0 ? 0 : i;
  }
}
