// An SR-IOV virtual function as the host kernel sees it. A VF's own
// configuration space reads 0xFFFF for Vendor and Device ID and 0 in its BARs
// (PCIe Base 6.0 §9.3.4.1); the host takes them from the physical function:
// Vendor ID from the PF, Device ID from the PF's SR-IOV VF Device ID, and each
// VF BAR from the PF's SR-IOV VF BAR plus the VF's index times the BAR's size.
// Both peers show the guest these host values: Linux vfio-pci writes
// pdev->vendor/device into its virtual config for a VF (vfio_config_init), and
// QEMU's vfio-pci sizes and maps the VF BARs from the host kernel's resources.
// Everything else reads and writes the VF itself.
import { CfgvirtError, error } from "../diag/diagnostic.js";
import type { HostDevice } from "./host.js";

export interface VirtualFunctionOptions {
  /** The VF's index (0 for the first VF). */
  readonly index: number;
  /** Per VF BAR, its size; needed for a VF other than the first. */
  readonly barSizes?: readonly (number | undefined)[];
}

const SRIOV_ID = 0x0010;

/** Offset of the PF's SR-IOV capability, or undefined. */
function sriovOffset(pf: HostDevice): number | undefined {
  const seen = new Set<number>();
  for (let p = 0x100; p >= 0x100 && p <= 0xffc && !seen.has(p); p = (pf.read32(p >> 2) >>> 20) & 0xffc) {
    seen.add(p);
    const header = pf.read32(p >> 2);
    if (header === 0 || header === 0xffffffff) return undefined;
    if ((header & 0xffff) === SRIOV_ID) return p;
  }
  return undefined;
}

/**
 * The VF's configuration space with the host kernel's Vendor ID, Device ID and
 * BAR values. Throws a typed error when the PF has no SR-IOV capability, or
 * when a later VF's BAR size is unknown.
 */
export function virtualFunctionHost(vf: HostDevice, pf: HostDevice, opts: VirtualFunctionOptions): HostDevice {
  const sriov = sriovOffset(pf);
  if (sriov === undefined) {
    throw new CfgvirtError([error("A010", "the physical function has no SR-IOV capability", undefined, "give the PF's own dump (with its extended configuration space, lspci -xxxx)")]);
  }
  const vendor = pf.read32(0) & 0xffff;
  const vfDeviceId = pf.read32((sriov + 0x18) >> 2) >>> 16;
  const bars = new Uint32Array(6);
  for (let n = 0; n < 6; n++) bars[n] = pf.read32((sriov + 0x24 + 4 * n) >> 2);
  if (opts.index > 0) {
    // VF i's BAR n is at VF BAR n's base + i * size (64-bit BARs: the pair).
    for (let n = 0; n < 6; n++) {
      const v = bars[n];
      if (v === 0 || (n > 0 && (bars[n - 1] & 0x7) === 0x4)) continue;
      const size = opts.barSizes?.[n];
      if (size === undefined) {
        throw new CfgvirtError([error("A011", `VF BAR ${n} size is unknown; VF ${opts.index}'s address needs it`, undefined, `give it (e.g. --bar ${n}=16K)`)]);
      }
      const is64 = (v & 0x7) === 0x4;
      const base = (v & 0xfffffff0) + (is64 ? bars[n + 1] * 2 ** 32 : 0) + opts.index * size;
      bars[n] = ((base % 2 ** 32) | (v & 0xf)) >>> 0;
      if (is64) bars[n + 1] = Math.floor(base / 2 ** 32) >>> 0;
    }
  }
  const id = (vendor | (vfDeviceId << 16)) >>> 0;
  return {
    size: vf.size,
    read32(index: number): number {
      if (index === 0) return vf.read32(0) === 0xffffffff && vf.read32(1) === 0xffffffff ? 0xffffffff : id;
      if (index >= 4 && index < 10) return bars[index - 4];
      return vf.read32(index);
    },
    write(offset: number, size: 1 | 2 | 4, value: number): void {
      // A VF's ID and BAR registers are read-only zeros in hardware: nothing to write.
      if (offset < 4 || (offset >= 0x10 && offset < 0x28)) return;
      vf.write(offset, size, value);
    },
  };
}
