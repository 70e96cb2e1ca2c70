// Behaviour behind `trap(NAME)` fields that a mask cannot express. Each hook
// runs after the runtime has applied the write's masks to the virtual state,
// and only for dwords whose fields name it.
import type { HookName } from "../compile/vocabulary.js";
import type { HookHandler, VirtualDevice } from "./virtual-device.js";

/** What the platform (the hypervisor's device model) is told; all optional. */
export interface PlatformListener {
  /** The guest changed MSI Enable in its virtual MSI capability at `dword`. */
  msiEnable?(device: VirtualDevice, dword: number, enabled: boolean): void;
  /** The guest changed MSI-X Enable or Function Mask at `dword`. */
  msixControl?(device: VirtualDevice, dword: number, enabled: boolean, masked: boolean): void;
  /** The guest wrote PMCSR PowerState (0 = D0 .. 3 = D3hot). */
  powerState?(device: VirtualDevice, dword: number, state: number): void;
  /** The guest initiated a function-level reset; the virtual state is already reset. */
  functionReset?(device: VirtualDevice): void;
  /** The guest wrote a BAR or the ROM BAR (its virtual address changed). */
  barWritten?(device: VirtualDevice, dword: number): void;
  /** The guest set Secondary Bus Reset on a bridge (`device` is the bridge). */
  secondaryBusReset?(device: VirtualDevice): void;
}

export interface HookOptions {
  /**
   * The device's VPD contents behind the VPD capability. The hooks keep their
   * own copy, which guest VPD writes change. Reads past the end return 0xff;
   * a write past the end does not complete.
   */
  readonly vpd?: Uint8Array;
  readonly listener?: PlatformListener;
}

/**
 * The standard hook handlers. The listener's methods are looked at once,
 * here: the handler says which hooks it acts on (HookHandler.handles), and
 * the runtime calls it for no others.
 */
export function standardHooks(opts: HookOptions = {}): HookHandler {
  // The device's VPD storage: a copy, so that two devices opened from one image do not share it.
  const vpd = Uint8Array.from(opts.vpd ?? []);
  const l = opts.listener ?? {};
  // Bit positions are the specification's fixed register layouts, relative to
  // the dword the trapped field sits in (capabilities are dword-aligned).
  // The runtime calls a hook only when a write covers some of its trapped bits.
  const handles: HookName[] = ["vpd_address", "flr"];
  if (l.barWritten) handles.push("bar", "rom");
  if (l.msiEnable) handles.push("msi_enable");
  if (l.msixControl) handles.push("msix_control");
  if (l.powerState) handles.push("power_state");
  if (l.secondaryBusReset) handles.push("secondary_bus_reset");
  const handler = (device: VirtualDevice, hook: HookName, d: number, written: number, bits: number) => {
    // BAR writes, the commonest trapped writes, need nothing of the device's
    // state: notify before loading it (over many VFs each load is a cache miss).
    if (hook === "bar" || hook === "rom") {
      l.barWritten?.(device, d);
      return;
    }
    const s = device.shadow;
    switch (hook) {
      case "vpd_address": {
        // Address and flag are the upper half of the capability's first dword,
        // data the next dword; a trap elsewhere has no VPD to serve. As vfio's
        // vfio_vpd_config_write: F=0 reads four bytes into the data register
        // and sets F (bytes past the end of the VPD read 0xff, as an empty
        // EEPROM); F=1 writes the data register's four bytes into the VPD and
        // clears F. A write that would run past the end fails and leaves F
        // set, so the guest's driver times out, as under vfio (pci_write_vpd).
        if (bits !== 0xffff0000 || (written & bits) === 0) return;
        const flag = s.get(d);
        const address = (flag >>> 16) & 0x7fff;
        if (flag >>> 31 === 0) {
          let data = 0;
          for (let i = 3; i >= 0; i--) data = (data << 8) | (vpd[address + i] ?? 0xff);
          s.set(d + 1, data >>> 0);
          s.set(d, (flag | 0x80000000) >>> 0);
        } else if (address + 4 <= vpd.length) {
          const data = s.get(d + 1);
          for (let i = 0; i < 4; i++) vpd[address + i] = (data >>> (8 * i)) & 0xff;
          s.set(d, (flag & 0x7fffffff) >>> 0);
        }
        return;
      }
      case "flr":
        // Initiate Function-Level Reset (PCIe Device Control bit 15, AF Control bit 0):
        // the trapped bit itself, written 1, and only on a function that says it
        // can: PCIe Device Capabilities bit 28 and AF Capabilities bit 1 (dword bit
        // 25) both sit in the dword before the trapped one. Elsewhere the write
        // does nothing, as the hardware would ignore it.
        if ((written & bits & s.get(d)) === 0 || !flrCapable(device, d, bits)) return;
        device.resetShadow();
        l.functionReset?.(device);
        return;
      case "msi_enable":
        l.msiEnable?.(device, d, (s.get(d) & bits) !== 0);
        return;
      case "msix_control":
        // Enable is Message Control bit 15, Function Mask bit 14 (upper half).
        l.msixControl?.(device, d, (s.get(d) & bits & 0x80000000) !== 0, (s.get(d) & bits & 0x40000000) !== 0);
        return;
      case "power_state":
        l.powerState?.(device, d, (s.get(d) & bits) >>> (31 - Math.clz32(bits & -bits)));
        return;
      case "secondary_bus_reset":
        // Asserting the bit (a write that sets it) resets the bus below; holding or clearing it does nothing more.
        if ((written & bits & s.get(d)) !== 0) l.secondaryBusReset?.(device);
        return;
    }
  };
  return Object.assign(handler, { handles });
}

/** Whether the function advertises the FLR that the trapped bit `bits` of dword `d` initiates (read from the hardware). */
export function flrCapable(device: VirtualDevice, d: number, bits: number): boolean {
  if (d < 1) return false;
  const caps = device.host.read32(d - 1);
  if (bits === 0x8000) return (caps & (1 << 28)) !== 0; // PCIe: Device Control at cap+8, Device Capabilities at cap+4
  if (bits === 0x1) return (caps & (1 << 25)) !== 0; // AF: Control at cap+4, Capabilities at cap+3
  return false;
}
