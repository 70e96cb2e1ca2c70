// Shared helpers for the platform tests: guest-side configuration accesses
// through port I/O and ECAM, and bus-number programming as firmware does it.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { configAddress } from "../../src/platform/config-mechanism1.js";
import { ecamAddress } from "../../src/platform/ecam.js";
import type { Machine } from "../../src/platform/machine.js";

export function cf8Read(m: Machine, bus: number, dev: number, fn: number, offset: number, size: number): number {
  m.ioWrite(0xcf8, 4, configAddress(bus, dev, fn, offset));
  return m.ioRead(0xcfc + (offset & 3), size);
}

export function cf8Write(m: Machine, bus: number, dev: number, fn: number, offset: number, size: number, value: number): void {
  m.ioWrite(0xcf8, 4, configAddress(bus, dev, fn, offset));
  m.ioWrite(0xcfc + (offset & 3), size, value);
}

export function ecamRead(m: Machine, bus: number, dev: number, fn: number, offset: number, size: number): number {
  return m.mmioRead(ecamAddress(m.ecam.window.base, bus, dev, fn, offset), size);
}

export function ecamWrite(m: Machine, bus: number, dev: number, fn: number, offset: number, size: number, value: number): void {
  m.mmioWrite(ecamAddress(m.ecam.window.base, bus, dev, fn, offset), size, value);
}

/** Program a root port's primary/secondary/subordinate bus numbers through CONFIG_DATA, as firmware does. */
export function programBuses(m: Machine, port: number, secondary: number, subordinate = secondary): void {
  cf8Write(m, 0, port, 0, 0x18, 4, (subordinate << 16) | (secondary << 8));
}

/** Write a rule file with an `image` into a temporary directory; returns its path. */
export function imageFile(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), "cfgvirt-platform-"));
  const file = join(dir, `${name}.rules`);
  writeFileSync(file, text);
  return file;
}

/** An endpoint with PM, MSI, MSI-X, PCI Express and AER: every path the platform mediates. */
export const AER_ENDPOINT = `
image "platform test endpoint" {
  bar 0 size 16K
  header type0 { vendor_id = 0x1af4; device_id = 0x1042; command = 0x0000; base_class = 0x02; bar0 = 0xfe000000; interrupt_pin = 0x01 }
  capability pm @ 0x40 { pmc = 0x0603; pmcsr = 0x0000 }
  capability msi @ 0x50 { control.addr64 = 1; control.multiple_capable = 2 }
  capability msix @ 0x70 { control.table_size = 3; table = 0x00000000; pba = 0x00000800 }
  capability pcie @ 0x80 { flags.version = 2; flags.device_type = 0; device_capabilities = 0x10008000; link_capabilities = 0x00000011 }
  extended aer @ 0x100 { uncorrectable_severity = 0x00062030 }
}
`;
