// Resets that reach the device. A guest's Function Level Reset, its
// D3hot -> D0 transition without No_Soft_Reset (PCI PM 1.2 §5.4.1), and a
// Secondary Bus Reset on its Root Port all reset the HOST function, not only
// the guest's view:
//
// 1. quiesce the host function: Bus Master, Memory and I/O Space off,
//    Interrupt Disable on, MSI and MSI-X off, its INTx line dropped, and the
//    guest's BAR mappings torn down;
// 2. reset it: its configuration returns to its reset image (what the model
//    captured at assignment, with the specification's reset values in the
//    registers a reset clears) and its register files clear;
// 3. restore the host state the platform owns: BAR and ROM addresses, the
//    decoding the platform enabled at assignment, cache line size, latency
//    timer, Interrupt Line and PCI Express Device Control. Bus Master is the
//    guest's (passed through), so it stays off: the guest must enable it
//    again, as after any reset;
// 4. give the guest the specification's reset values: its virtual state goes
//    back to what attach computed, with BAR and ROM addresses 0 (type bits
//    kept), never the host's addresses.
//
// Linux vfio-pci does the same around pci_try_reset_function() (save state,
// disable the device, reset, restore), and QEMU's vfio-pci resets the guest's
// emulated BARs to 0 (vfio_pci_pre_reset / pci_device_reset).
import type { BarInfo } from "../runtime/bars.js";
import { readHardware } from "./capabilities.js";
import type { PassThroughFunction } from "./passthrough-function.js";

export type ResetKind = "flr" | "pm" | "sbr";

/** Registers the platform owns on the host, saved at assignment and written back after a reset. */
export interface PlatformState {
  /** dword index -> value, written back whole. */
  readonly dwords: ReadonlyMap<number, number>;
  /** Host Command bits the platform keeps on (decoding for the BARs the function has). */
  readonly decode: number;
  /** Offset of PCI Express Device Control and its value, when the function has one. */
  readonly deviceControl: { offset: number; value: number } | undefined;
}

const COMMAND_IO = 0x1;
const COMMAND_MEMORY = 0x2;
const COMMAND_BUS_MASTER = 0x4;
const COMMAND_INTX_DISABLE = 0x400;

/** Absolute configuration dwords of a BAR (0x10 + 4n ...) or of the ROM BAR. */
export function barDwords(b: BarInfo): number[] {
  return b.index === 6 ? [...b.dwords] : b.dwords.map((_, k) => 4 + b.index + k);
}

/** A BAR dword's reset value: address 0, type bits kept; the ROM BAR (address and enable) is 0. */
function resetValue(b: BarInfo, k: number, value: number): number {
  return b.kind === "rom" ? 0 : (value & b.flags[k]) >>> 0;
}

/** The Command decode bits the function's BARs need. */
export function decodeBitsFor(bars: readonly BarInfo[]): number {
  let bits = 0;
  for (const b of bars) {
    if (b.size === 0) continue;
    if (b.kind === "io") bits |= COMMAND_IO;
    if (b.kind === "mem32" || b.kind === "mem64") bits |= COMMAND_MEMORY;
  }
  return bits;
}

/** Save what the platform owns (call after assignment has set up the host's BARs and decoding). */
export function capturePlatformState(fn: PassThroughFunction, bars: readonly BarInfo[]): PlatformState {
  const dwords = new Map<number, number>();
  dwords.set(3, fn.host.read32(3)); // cache line size, latency timer (BIST and header type are RO)
  dwords.set(15, fn.host.read32(15) & 0xff); // Interrupt Line
  for (const b of bars) for (const d of barDwords(b)) dwords.set(d, fn.host.read32(d));
  const deviceControl = fn.pcie !== undefined ? { offset: fn.pcie + 8, value: readHardware(fn.host, fn.pcie + 8, 2) & 0x7fff } : undefined;
  return { dwords, decode: decodeBitsFor(bars), deviceControl };
}

/** The host function's configuration right after a reset: the state at assignment with reset values where a reset clears. */
export function captureResetImage(fn: PassThroughFunction, bars: readonly BarInfo[]): Uint32Array {
  const img = Uint32Array.from(fn.host.words);
  // Command 0; Status: error bits (RW1C) and Interrupt Status clear.
  img[1] = (img[1] & 0xffff_0000 & ~((0xf900 | 0x8) << 16)) >>> 0;
  img[15] = (img[15] & 0xffff_ff00) >>> 0; // Interrupt Line: firmware writes it after reset
  for (const b of bars) barDwords(b).forEach((d, k) => (img[d] = resetValue(b, k, img[d])));
  const clear = (offset: number, bits: number) => {
    const d = offset >> 2;
    img[d] = (img[d] & ~(bits * 2 ** ((offset & 3) * 8))) >>> 0;
  };
  if (fn.msi !== undefined) clear(fn.msi + 2, 0x71);
  if (fn.msix !== undefined) clear(fn.msix + 2, 0xc000);
  if (fn.pm !== undefined) clear(fn.pm + 4, 0x3);
  if (fn.pcie !== undefined) {
    clear(fn.pcie + 8, 0x8000);
    clear(fn.pcie + 0x0a, 0xf); // Device Status error bits (RW1C)
  }
  return img;
}

/** Step 1: stop the host function (the caller also drops its interrupt routes and mappings). */
export function quiesceHost(fn: PassThroughFunction): void {
  if (fn.host.removed) return;
  const command = readHardware(fn.host, 0x04, 2);
  fn.host.write(0x04, 2, (command & ~(COMMAND_IO | COMMAND_MEMORY | COMMAND_BUS_MASTER)) | COMMAND_INTX_DISABLE);
}

/** Steps 2 and 3: reset the host function to its reset image, then write back what the platform owns. */
export function resetAndRestoreHost(fn: PassThroughFunction, image: Uint32Array, state: PlatformState): void {
  if (fn.host.removed) return;
  fn.host.words.set(image);
  for (const e of fn.hostMsixTable) Object.assign(e, { address: 0n, data: 0, masked: true });
  fn.hostPending.clear();
  fn.hostBars?.reset();
  for (const [d, v] of state.dwords) fn.host.write(d * 4, 4, v);
  if (state.deviceControl) fn.host.write(state.deviceControl.offset, 2, state.deviceControl.value);
  fn.host.write(0x04, 2, state.decode); // Bus Master off, Interrupt Disable clear (the platform gates INTx itself)
}

/** Step 4: the guest's view returns to the specification's reset values. */
export function resetGuestView(fn: PassThroughFunction, bars: readonly BarInfo[]): void {
  const s = fn.device.shadow;
  fn.device.resetShadow();
  // Command's virtual bits (decoding, parity, SERR#, Interrupt Disable) reset to 0 (PCI LB 3.0 §6.2.2).
  s.set(1, (s.get(1) & 0xffff_0000) >>> 0);
  for (const b of bars) barDwords(b).forEach((d, k) => s.set(d, resetValue(b, k, s.get(d))));
  for (const e of fn.guestMsixTable) Object.assign(e, { address: 0n, data: 0, masked: true });
  fn.guestPending.clear();
  fn.powerState = 0;
}
