// Power management: the guest's PMCSR PowerState is virtual and trapped
// (rules/pm.rules); the platform decides what the host does.
//
// - D0 and D3hot are always accepted; D1 and D2 only when the host's PMC says
//   the function supports them. An unsupported state is refused as the
//   specification says hardware refuses it: the write is discarded and
//   PowerState keeps its previous value (in the guest's virtual copy).
// - An accepted state is written to the host's PMCSR by the platform, with
//   PME_Status written 0 so that a pending PME is not cleared behind the guest.
// - D3hot -> D0 with No_Soft_Reset = 0 is an internal reset of the function
//   (PCI PM 1.2 §5.4.1): the guest's virtual state returns to what attach
//   computed, and the platform drops the interrupt routes the reset disabled.
//   With No_Soft_Reset = 1 the function keeps its state.
import { clearVirtualBits, readHardware, setVirtualBits } from "./capabilities.js";
import type { PassThroughFunction } from "./passthrough-function.js";

export type PowerDecision = "accepted" | "refused" | "reset";

export function decidePowerState(fn: PassThroughFunction, state: number, onReset: (fn: PassThroughFunction) => void): PowerDecision {
  const base = fn.pm;
  if (base === undefined) return "refused";
  const pmc = readHardware(fn.host, base + 2, 2);
  const supported = state === 0 || state === 3 || (state === 1 && (pmc & 0x200) !== 0) || (state === 2 && (pmc & 0x400) !== 0);
  if (!supported) {
    // Discard the write: the virtual PowerState goes back to the accepted one.
    clearVirtualBits(fn.device, base + 4, 0x3);
    setVirtualBits(fn.device, base + 4, fn.powerState);
    fn.device.log.once(`pm-d${state}`, `guest asked for D${state}, which the function does not support: ignored`);
    return "refused";
  }
  const previous = fn.powerState;
  const pmcsr = readHardware(fn.host, base + 4, 2);
  fn.host.write(base + 4, 2, (pmcsr & ~0x8003) | state);
  fn.powerState = state;
  const noSoftReset = (pmcsr & 0x8) !== 0;
  if (previous === 3 && state === 0 && !noSoftReset) {
    fn.device.resetShadow();
    clearVirtualBits(fn.device, base + 4, 0x3);
    onReset(fn);
    return "reset";
  }
  return "accepted";
}
