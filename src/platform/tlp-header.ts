// A TLP header as an AER Header Log holds it (PCIe Base 6.0 §7.8.4.8, non-Flit
// headers of §2.2.1), translated from the host's view to the guest's. The log
// names the function by its host Requester ID, the root complex by the host's,
// and a request the device received by a host bus address inside one of its
// BARs. The guest knows the function by another ID and its BARs at other
// addresses, so each is translated, and every other ID or address (the host's
// own topology and memory map) reads 0: the guest's root complex, no address.
// Fields that name nothing on the host (type, length, tag, byte enables,
// status, byte counts, register numbers) are kept as logged.

/** A BAR's window: where the host decodes it, and where the guest placed it. */
export interface AddressWindow {
  readonly space: "mem" | "io";
  readonly hostBase: number;
  readonly size: number;
  readonly guestBase: number;
}

export interface TlpTranslation {
  /** The function's Requester ID on the host, and on the guest's buses. */
  readonly hostId: number;
  readonly guestId: number;
  readonly windows: readonly AddressWindow[];
}

export type HeaderLog = [number, number, number, number];

// Type field values (Fmt bits aside).
const TYPE_CFG0 = 0x04;
const TYPE_CFG1 = 0x05;
const TYPE_CPL = 0x0a;
const TYPE_CPL_LOCKED = 0x0b;
const TYPE_IO = 0x02;
/** MRd/MWr, MRdLk, and the AtomicOp requests FetchAdd, Swap and CAS: all carry a memory address. */
const MEMORY_TYPES: readonly number[] = [0x00, 0x01, 0x0c, 0x0d, 0x0e];
/** Msg/MsgD: Type 10rrr, rrr the routing; 010 routes by ID (DW2[31:16]). */
const isMessage = (type: number) => (type & 0x18) === 0x10;
const ROUTE_BY_ID = 0b010;
/** Fmt 100: DW0 is a TLP Prefix, not a header (the Header Log never starts with one). */
const FMT_PREFIX = 0b100;

/** Translate a logged header; a header this does not recognise keeps DW0 only. */
export function translateTlpHeader(header: ArrayLike<number>, t: TlpTranslation): HeaderLog {
  const dw0 = header[0] >>> 0;
  const fmt = (dw0 >>> 29) & 7;
  const type = (dw0 >>> 24) & 0x1f;
  if (fmt === FMT_PREFIX) return [0, 0, 0, 0];
  const fourDw = (fmt & 1) !== 0;
  const id = (rid: number) => (rid === t.hostId ? t.guestId : 0);
  /** A dword whose upper half is an ID and lower half keeps what it logged. */
  const withId = (dw: number) => ((id(dw >>> 16) << 16) | (dw & 0xffff)) >>> 0;
  const address = (space: AddressWindow["space"], host: number): number => {
    const w = t.windows.find((x) => x.space === space && host >= x.hostBase && host < x.hostBase + x.size);
    return w === undefined ? 0 : w.guestBase + (host - w.hostBase);
  };
  const [, dw1, dw2, dw3] = Array.from({ length: 4 }, (_, i) => (header[i] ?? 0) >>> 0);

  const low = (a: number, keep: number) => ((a & ~3) | (keep & 3)) >>> 0;
  if (MEMORY_TYPES.includes(type) && fourDw) {
    // Address[63:32] in DW2, Address[31:2] in DW3 (bits 1:0 are Processing Hints).
    const a = address("mem", dw2 * 2 ** 32 + ((dw3 & ~3) >>> 0));
    return [dw0, withId(dw1), Math.floor(a / 2 ** 32) >>> 0, low(a, dw3)];
  }
  if (MEMORY_TYPES.includes(type) || type === TYPE_IO) {
    const a = address(type === TYPE_IO ? "io" : "mem", (dw2 & ~3) >>> 0);
    return [dw0, withId(dw1), low(a, dw2), 0];
  }
  // Configuration requests: DW2[31:16] the target's Bus, Device and Function.
  if (type === TYPE_CFG0 || type === TYPE_CFG1) return [dw0, withId(dw1), withId(dw2), 0];
  // Completions: the Completer ID in DW1, the Requester ID in DW2.
  if (type === TYPE_CPL || type === TYPE_CPL_LOCKED) return [dw0, withId(dw1), withId(dw2), 0];
  // Messages: DW2 and DW3 are an address, a target ID or message data; only an ID survives.
  if (isMessage(type)) return [dw0, withId(dw1), (type & 7) === ROUTE_BY_ID ? withId(dw2) : 0, 0];
  return [dw0, 0, 0, 0];
}
