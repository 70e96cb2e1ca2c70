// PCI Express native hot-plug on the emulated Root Ports (PCIe Base 6.0
// §6.7): what the slot shows when the platform adds or removes the function
// behind it, and when the port interrupts.
//
// Presence Detect State and Data Link Layer Link Active are hardware state
// (RO, passed through from the port's own model); Presence Detect Changed and
// Data Link Layer State Changed are events the guest clears with a 1 (RW1C,
// virtual). An event interrupts (the port's MSI, else INTx) when Hot-Plug
// Interrupt Enable and the event's own enable are set in Slot Control
// (§6.7.3.4). Surprise removal is the same change without the function's
// cooperation: the device reads all-ones from then on.
import { clearHardwareBits, readHardware, setHardwareBits, setVirtualBits } from "./capabilities.js";
import { LINK_STATUS, PCIE, type RootPort, SLOT_CONTROL, SLOT_STATUS } from "./root-port.js";

/** Current Link Speed 5 GT/s (2), Negotiated Link Width x1: what a trained link shows. */
const TRAINED_LINK = 0x2 | (1 << 4);

/** Update the slot for a function arriving (true) or leaving (false), and interrupt if enabled. */
export function slotChanged(port: RootPort, present: boolean): boolean {
  const host = port.host;
  const slotStatus = port.pcie + PCIE.slotStatus;
  const linkStatus = port.pcie + PCIE.linkStatus;
  if (present) {
    setHardwareBits(host, slotStatus, SLOT_STATUS.presenceDetectState);
    setHardwareBits(host, linkStatus, LINK_STATUS.dllLinkActive | TRAINED_LINK);
  } else {
    clearHardwareBits(host, slotStatus, SLOT_STATUS.presenceDetectState);
    clearHardwareBits(host, linkStatus, LINK_STATUS.dllLinkActive | 0x3ff);
  }
  const dllReporting = (readHardware(host, port.pcie + 0x0c, 4) & (1 << 20)) !== 0;
  const events = SLOT_STATUS.presenceDetectChanged | (dllReporting ? SLOT_STATUS.dllStateChanged : 0);
  setVirtualBits(port.device, slotStatus, events);
  return hotPlugInterrupt(port, events);
}

/** Signal the port's interrupt when the guest enabled it for one of `events`. */
export function hotPlugInterrupt(port: RootPort, events: number): boolean {
  const control = port.device.read(port.pcie + PCIE.slotControl, 2);
  if ((control & SLOT_CONTROL.hotPlugInterruptEnable) === 0) return false;
  const enabled =
    ((events & SLOT_STATUS.presenceDetectChanged) !== 0 && (control & SLOT_CONTROL.presenceDetectChangedEnable) !== 0) ||
    ((events & SLOT_STATUS.dllStateChanged) !== 0 && (control & SLOT_CONTROL.dllStateChangedEnable) !== 0);
  if (!enabled) return false;
  port.signal();
  return true;
}
