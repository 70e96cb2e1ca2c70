// The reference's own meaning of `trap(HOOK)`, from the specification, for the
// hooks that change what a guest sees; the others (msi_enable, msix_control,
// power_state, bar, rom, secondary_bus_reset) only tell the platform and leave
// the guest's view alone. A hook runs after the write's bits are applied, when
// the write covers a trapped bit of the dword; the last trapped field of the
// dword, in layout order, names it.

/** One hook run, as the reference decided it: compared with the table runtime's calls. */
export interface HookCall {
  readonly hook: string;
  readonly dword: number;
  /** Mask of the bits the write covered. */
  readonly written: number;
  /** Every trapped bit of the dword. */
  readonly trapped: number;
}

/**
 * VPD (PCI LB 3.0 §6.4): the address register is the upper half of the
 * capability's first dword, 15 address bits then the F flag; Data is the next
 * dword. A write with F = 0 asks for four bytes from `address`, which the
 * device puts in Data (0xff past the end of the VPD), then sets F. With F = 1
 * it is a write of Data's four bytes to `address`: F clears when it is done;
 * a write past the end of the VPD never completes (F stays set), as Linux's
 * pci_write_vpd refuses it under vfio. A trap that is not exactly that
 * register does nothing.
 */
export function serveVpd(shadow: Uint32Array, dword: number, trapped: number, vpd: Uint8Array): void {
  if (trapped !== 0xffff0000) return;
  const register = Math.floor(shadow[dword] / 0x10000);
  const address = register % 0x8000;
  const flag = register >= 0x8000;
  if (flag) {
    if (address + 4 > vpd.length) return;
    let data = shadow[dword + 1];
    for (let i = 0; i < 4; i++) {
      vpd[address + i] = data % 256;
      data = Math.floor(data / 256);
    }
    shadow[dword] -= 0x80000000;
    return;
  }
  let data = 0;
  for (let i = 3; i >= 0; i--) data = data * 256 + (address + i < vpd.length ? vpd[address + i] : 0xff);
  shadow[dword + 1] = data;
  shadow[dword] += 0x80000000;
}

/**
 * Whether the function advertises the reset its trapped bit starts: Initiate
 * FLR is PCIe Device Control bit 15 with FLR Capable at Device Capabilities
 * bit 28 (PCIe Base 6.0 §7.5.3.3), or AF Control bit 0 with FLR Capable at AF
 * Capabilities bit 1, the byte before it (PCI Advanced Features ECN); a trap
 * anywhere else starts nothing. Read from the hardware.
 */
export function advertisesReset(hostDword: (index: number) => number, dword: number, trapped: number): boolean {
  if (dword < 1) return false;
  const before = hostDword(dword - 1) >>> 0;
  if (trapped === 0x8000) return Math.floor(before / 2 ** 28) % 2 === 1;
  if (trapped === 0x1) return Math.floor(before / 2 ** 25) % 2 === 1;
  return false;
}

/** Function-Level Reset (PCIe Base 6.0 §6.6.2): writing the trapped bit as 1 starts it (on a function that advertises it). */
export function startsReset(shadow: Uint32Array, dword: number, written: number, trapped: number): boolean {
  return ((written & trapped & shadow[dword]) >>> 0) !== 0;
}
