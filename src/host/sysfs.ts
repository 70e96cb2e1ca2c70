// Live devices: a PCI address (`0000:00:03.0` or `00:03.0`) read from Linux
// sysfs, /sys/bus/pci/devices/ADDRESS/{config,resource}. The kernel lets
// anyone read the first 64 bytes of `config` and only a privileged reader the
// rest, so a short read is an error that says so rather than a 64-byte device.
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { CfgvirtError, error } from "../diag/diagnostic.js";
import { decodeText, readInput } from "../io/input.js";
import type { ConfigDump, InputSizes } from "./dump.js";

export const SYSFS_PCI_DEVICES = "/sys/bus/pci/devices";

const ADDRESS = /^(?:([0-9a-fA-F]{4}):)?([0-9a-fA-F]{2}):([0-9a-fA-F]{2})\.([0-7])$/;

/** `00:03.0` -> `0000:00:03.0`; undefined when the text is not a PCI address. */
export function canonicalAddress(text: string): string | undefined {
  const m = ADDRESS.exec(text);
  return m ? `${(m[1] ?? "0000").toLowerCase()}:${m[2].toLowerCase()}:${m[3].toLowerCase()}.${m[4]}` : undefined;
}

/** The PCI addresses sysfs lists, sorted; empty where there is no /sys/bus/pci. */
export function listAddresses(root = SYSFS_PCI_DEVICES): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root).filter((n) => canonicalAddress(n) !== undefined).sort();
}

/**
 * BAR and ROM sizes from sysfs `resource`: one `start end flags` line per
 * resource, BARs 0-5 then the ROM; a zero line is a BAR the device does not
 * implement (or the upper half of a 64-bit one).
 */
export function parseResource(text: string): InputSizes {
  const sizes = text.split("\n").slice(0, 7).map((line) => {
    const [start, end] = line.trim().split(/\s+/).map((h) => (/^0x[0-9a-fA-F]+$/.test(h) ? BigInt(h) : undefined));
    if (start === undefined || end === undefined || end === 0n || end < start) return undefined;
    return Number(end - start + 1n);
  });
  return { bars: sizes.slice(0, 6), rom: sizes[6], source: "sysfs resource" };
}

const u16 = (b: Uint8Array, o: number) => (b[o] | (b[o + 1] << 8)).toString(16).padStart(4, "0");

/** Read a live device's configuration space and BAR sizes from sysfs. */
export function readSysfsDevice(address: string, root = SYSFS_PCI_DEVICES): ConfigDump {
  const canonical = canonicalAddress(address) ?? address;
  const dir = join(root, canonical);
  if (!existsSync(dir)) {
    throw new CfgvirtError([error("H001", `no PCI device ${canonical}: ${dir} does not exist`, undefined,
      existsSync(root) ? "`cfgvirt list` shows this machine's devices" : `this machine has no ${root}; give a dump file instead`)]);
  }
  const path = join(dir, "config");
  const data = readInput(path, "device");
  // sysfs reports the full size of `config` whoever reads it; the kernel returns
  // only the first 64 bytes to a reader without CAP_SYS_ADMIN.
  const expected = statSync(path).size;
  if (expected > data.length) {
    throw new CfgvirtError([error("H002", `read only ${data.length} of ${expected} bytes of ${path}`, undefined,
      "Linux gives the configuration space past the first 64 bytes only to root (CAP_SYS_ADMIN); run as root, or give a dump taken as root (`sudo lspci -xxxx -s " + canonical + "`)")]);
  }
  if (![64, 256, 4096].includes(data.length)) {
    throw new CfgvirtError([error("D005", `${path}: ${data.length} bytes; expected 64, 256 or 4096`)]);
  }
  const resource = join(dir, "resource");
  const sizes = existsSync(resource) ? parseResource(decodeText(readInput(resource, "device"))) : undefined;
  const classCode = (data[0x0b] << 8) | data[0x0a];
  const title = `${canonical} ${classCode.toString(16).padStart(4, "0")}: ${u16(data, 0)}:${u16(data, 2)} (rev ${data[8].toString(16).padStart(2, "0")})`;
  return { bytes: Uint8Array.from(data), title, path: canonical, ...(sizes ? { sizes } : {}) };
}
