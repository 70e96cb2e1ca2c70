// Interrupt delivery. The host side: the platform's own MSI address and a
// table of host vectors, each routed to a guest interrupt source (interrupt
// remapping). The guest side: every message write the guest receives, with
// the guest's address and data, delivered to the vCPU the address names
// (vcpus.ts). Records are bounded rings (ring.ts): a storm costs constant memory.
import { Ring } from "./ring.js";
import { type MsiDelivery, Vcpus } from "./vcpus.js";

/** The address the platform programs into host MSI/MSI-X: its own, never the guest's. */
export const PLATFORM_MSI_ADDRESS = 0xfee0_0000;
/** First host vector the platform hands out. */
export const FIRST_HOST_VECTOR = 0x40;
const VECTOR_LIMIT = 0x10000;

export interface GuestMessage {
  /** What raised it: a function or a root port, for tests and logs. */
  readonly source: string;
  readonly address: bigint;
  readonly data: number;
}

/** The guest's interrupt controller, as far as the platform needs: it records what it receives. */
export class GuestInterrupts {
  readonly messages = new Ring<GuestMessage>(256);
  /** INTx assertions that reached the guest, per source. */
  readonly intx = new Ring<string>(256);

  constructor(readonly cpus: Vcpus = new Vcpus(1)) {}

  deliver(source: string, address: bigint, data: number): MsiDelivery {
    this.messages.push({ source, address, data: data & 0xffff });
    return this.cpus.deliverMsi(address, data);
  }

  assertIntx(source: string): void {
    this.intx.push(source);
  }
}

/** A host MSI write that no route claimed: a stale or forged message. */
export interface StrayMessage {
  readonly address: number;
  readonly data: number;
}

/**
 * Host vectors and their routes. Blocks are aligned to their (power of two)
 * size, as multiple-message MSI needs: the device ORs the message number into
 * the low bits of the data.
 */
export class HostVectors<Route> {
  private readonly routes = new Map<number, { route: Route; index: number }>();
  readonly stray = new Ring<StrayMessage>(256);

  allocate(count: number, route: Route): number {
    const size = 1 << Math.ceil(Math.log2(Math.max(1, count)));
    for (let base = FIRST_HOST_VECTOR; base + size <= VECTOR_LIMIT; base += size) {
      let free = true;
      for (let v = base; v < base + size && free; v++) if (this.routes.has(v)) free = false;
      if (!free) continue;
      for (let i = 0; i < size; i++) this.routes.set(base + i, { route, index: i });
      return base;
    }
    throw new RangeError("out of host interrupt vectors");
  }

  free(base: number, count: number): void {
    const size = 1 << Math.ceil(Math.log2(Math.max(1, count)));
    for (let i = 0; i < size; i++) this.routes.delete(base + i);
  }

  /** The route for a host message, or undefined (and the message is recorded as stray). */
  lookup(address: number, data: number): { route: Route; index: number } | undefined {
    const hit = address === PLATFORM_MSI_ADDRESS ? this.routes.get(data & 0xffff) : undefined;
    if (!hit) this.stray.push({ address, data });
    return hit;
  }

  get size(): number {
    return this.routes.size;
  }
}
