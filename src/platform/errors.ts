// Error reporting. The host side: a passed-through function's hardware logs an
// error as a device would (AER status, PCI Express Device Status, PCI Status),
// and the guest sees those bits as the rules pass them. The guest side: the
// platform, which receives the error at the host's root port, forwards it as
// the message the function would have sent to the guest's emulated Root Port
// (PCIe Base 6.0 §6.2.5, §6.2.6), judged by the guest's OWN (virtual) view:
//
// - an uncorrectable error the guest's virtual AER mask masks sends nothing;
//   its severity is the guest's virtual severity;
// - ERR_COR is sent when the guest's Device Control enables correctable
//   reporting; ERR_NONFATAL / ERR_FATAL when the matching Device Control
//   enable or the guest's Command SERR# Enable is set;
// - at the port: Root Error Status (first / multiple received, fatal and
//   non-fatal message flags, First Uncorrectable Fatal), Error Source
//   Identification (the guest's Requester ID for the function), and Secondary
//   Status Received System Error for uncorrectable errors; the port
//   interrupts when the guest's Root Error Command enables that class;
// - the function's AER Header Log, which the guest reads in a virtual copy:
//   the host's header with the host's IDs and addresses translated or zeroed.
import { readHardware, setHardwareBits, setVirtualBits } from "./capabilities.js";
import type { PassThroughFunction } from "./passthrough-function.js";
import { AER, type RootPort } from "./root-port.js";
import { type AddressWindow, translateTlpHeader } from "./tlp-header.js";

export type HostError =
  /**
   * An AER Uncorrectable Error Status bit (4..31), and the header of the TLP
   * behind it (four dwords as the Header Log holds them) when the device logs one.
   */
  | { readonly kind: "uncorrectable"; readonly bit: number; readonly header?: readonly number[] }
  /** An AER Correctable Error Status bit (0..15). */
  | { readonly kind: "correctable"; readonly bit: number };

export type ErrorMessage = "ERR_COR" | "ERR_NONFATAL" | "ERR_FATAL";

/** The hardware logs the error: status bits as the device itself would set them. */
export function logHostError(fn: PassThroughFunction, err: HostError): void {
  const host = fn.host;
  let fatal = false;
  if (fn.aer !== undefined) {
    if (err.kind === "uncorrectable") {
      if (err.header !== undefined) logHeader(fn, fn.aer, err.bit, err.header);
      setHardwareBits(host, fn.aer + AER.uncorrectableStatus, 1 << err.bit);
      fatal = (readHardware(host, fn.aer + AER.uncorrectableSeverity, 4) & (1 << err.bit)) !== 0;
    } else setHardwareBits(host, fn.aer + AER.correctableStatus, 1 << err.bit);
  }
  if (fn.pcie !== undefined) {
    const detected = err.kind === "correctable" ? 0x1 : fatal ? 0x4 : 0x2;
    setHardwareBits(host, fn.pcie + 0x0a, detected);
  }
  // Signaled System Error: the function sent ERR_FATAL/ERR_NONFATAL (host SERR# Enable set).
  if (err.kind === "uncorrectable" && (readHardware(host, 0x04, 2) & 0x100) !== 0) setHardwareBits(host, 0x06, 0x4000);
}

/**
 * The device records the first error's pointer and header: only when the error
 * the First Error Pointer names is no longer pending (one header, no Multiple
 * Header Recording).
 */
function logHeader(fn: PassThroughFunction, aer: number, bit: number, header: readonly number[]): void {
  const words = fn.host.words;
  const control = (aer + AER.control) >> 2;
  const first = words[control] & 0x1f;
  if ((readHardware(fn.host, aer + AER.uncorrectableStatus, 4) >>> first) & 1) return;
  words[control] = ((words[control] & ~0x1f) | bit) >>> 0;
  for (let i = 0; i < 4; i++) words[((aer + AER.headerLog) >> 2) + i] = (header[i] ?? 0) >>> 0;
}

/**
 * The guest's (virtual) Header Log gets the host's, translated: the function's
 * Requester ID and BAR addresses as the guest knows them, the host's other IDs
 * and addresses zeroed (tlp-header.ts; the AER rule says why it is virtual).
 * `windows`: the function's BARs as the platform maps them (BarMap's runs).
 */
export function forwardHeaderLog(fn: PassThroughFunction, port: RootPort | undefined, windows: readonly AddressWindow[]): void {
  if (fn.aer === undefined) return;
  const at = (fn.aer + AER.headerLog) >> 2;
  const logged = [0, 1, 2, 3].map((i) => fn.host.read32(at + i));
  const guest = translateTlpHeader(logged, { hostId: fn.domain, guestId: port?.childRequesterId ?? 0, windows });
  for (let i = 0; i < 4; i++) fn.device.shadow.set(at + i, guest[i]);
}

/** The message the function sends as the guest configured it, or undefined when the guest's settings suppress it. */
export function guestMessage(fn: PassThroughFunction, err: HostError): ErrorMessage | undefined {
  const d = fn.device;
  const control = fn.pcie !== undefined ? d.read(fn.pcie + 0x08, 2) : 0;
  if (err.kind === "correctable") {
    if (fn.aer !== undefined && (d.read(fn.aer + AER.correctableMask, 4) & (1 << err.bit)) !== 0) return undefined;
    return control & 0x1 ? "ERR_COR" : undefined;
  }
  if (fn.aer !== undefined && (d.read(fn.aer + AER.uncorrectableMask, 4) & (1 << err.bit)) !== 0) return undefined;
  const fatal = fn.aer !== undefined ? (d.read(fn.aer + AER.uncorrectableSeverity, 4) & (1 << err.bit)) !== 0 : true;
  const serr = (d.read(0x04, 2) & 0x100) !== 0;
  if (fatal) return control & 0x4 || serr ? "ERR_FATAL" : undefined;
  return control & 0x2 || serr ? "ERR_NONFATAL" : undefined;
}

/** The guest's Root Port receives an error message from the function in its slot. */
export function receiveAtRootPort(port: RootPort, message: ErrorMessage): boolean {
  const d = port.device;
  if (message !== "ERR_COR") setVirtualBits(d, 0x1e, 0x4000); // Secondary Status: Received System Error
  if (port.aer === undefined) return false;
  const status = port.aer + AER.rootStatus;
  const current = d.read(status, 4);
  const source = port.childRequesterId;
  if (message === "ERR_COR") {
    if (current & 0x1) setVirtualBits(d, status, 0x2);
    else {
      setVirtualBits(d, status, 0x1);
      const at = (port.aer + AER.errorSource) >> 2;
      d.shadow.set(at, ((d.shadow.get(at) & 0xffff0000) | source) >>> 0);
    }
  } else {
    if (current & 0x4) setVirtualBits(d, status, 0x8);
    else {
      setVirtualBits(d, status, 0x4 | (message === "ERR_FATAL" ? 0x10 : 0));
      const at = (port.aer + AER.errorSource) >> 2;
      d.shadow.set(at, ((d.shadow.get(at) & 0xffff) | (source << 16)) >>> 0);
    }
    setVirtualBits(d, status, message === "ERR_FATAL" ? 0x40 : 0x20);
  }
  const command = d.read(port.aer + AER.rootCommand, 4);
  const enable = message === "ERR_COR" ? 0x1 : message === "ERR_NONFATAL" ? 0x2 : 0x4;
  if ((command & enable) === 0) return false;
  port.signal();
  return true;
}
