// Configuration dumps in and out: `lspci -x`, `-xxx`, `-xxxx` text and raw
// binary `config` files (sysfs).
import { readFileSync } from "node:fs";
import { CfgvirtError, error, type Diagnostic, SourceFile, spanOfLine } from "../diag/diagnostic.js";

export interface ConfigDump {
  /** 64, 256 or 4096 bytes. */
  readonly bytes: Uint8Array;
  /** The device line above the hex rows, when the dump has one. */
  readonly title: string | undefined;
  readonly path: string;
}

const VALID_SIZES = [64, 256, 4096];
const SLOT = /^(?:[0-9a-fA-F]{4,}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]\b/;
const ROW = /^([0-9a-fA-F]{1,3}):((?:\s+[0-9a-fA-F]{2})*)\s*$/;

/** Parse `lspci -x/-xxx/-xxxx` text for one device. Errors name the line. */
export function parseLspciDump(path: string, text: string): ConfigDump {
  const source = new SourceFile(path, text);
  const ds: Diagnostic[] = [];
  const lines = text.split("\n");
  let title: string | undefined;
  const bytes = new Uint8Array(4096);
  let next = 0;
  let lastLine = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/\r$/, "");
    const n = i + 1;
    if (line.trim() === "") continue;
    if (SLOT.test(line)) {
      if (next > 0 || title !== undefined) {
        ds.push(error("D004", "a second device starts here; a dump file holds one device", spanOfLine(source, n, 1, line.length),
          "split the output of `lspci -xxxx` into one file per device"));
        break;
      }
      title = line;
      continue;
    }
    const m = ROW.exec(line);
    if (!m) {
      ds.push(error("D001", "not a row of a configuration dump", spanOfLine(source, n, 1, line.length),
        "rows look like `00: 86 80 c9 10 07 04 10 00 01 00 00 02 10 00 80 00`"));
      continue;
    }
    const offset = parseInt(m[1], 16);
    const hex = m[2].trim().split(/\s+/);
    if (offset !== next) {
      ds.push(error("D002", `row at offset 0x${offset.toString(16)} where 0x${next.toString(16)} was expected`, spanOfLine(source, n, 1, m[1].length),
        "rows must be consecutive, 16 bytes each, starting at 00"));
      break;
    }
    if (hex.length !== 16) {
      const col = line.indexOf(":") + 3;
      ds.push(error("D003", `row holds ${hex.length} bytes; a row holds 16`, spanOfLine(source, n, col, Math.max(1, line.length - col + 1))));
      break;
    }
    if (offset >= 4096) {
      ds.push(error("D002", "row past the 4096-byte configuration space", spanOfLine(source, n, 1, m[1].length)));
      break;
    }
    hex.forEach((h, k) => (bytes[offset + k] = parseInt(h, 16)));
    next += 16;
    lastLine = n;
  }
  if (ds.length === 0 && !VALID_SIZES.includes(next)) {
    ds.push(error("D005", `dump holds ${next} bytes; expected 64, 256 or 4096`, spanOfLine(source, Math.max(1, lastLine)),
      "capture with `lspci -x` (64 bytes), `-xxx` (256) or `-xxxx` (4096)"));
  }
  if (ds.length > 0) throw new CfgvirtError(ds);
  return { bytes: bytes.slice(0, next), title, path };
}

/** A raw binary configuration file, as sysfs `config` gives it. */
export function parseBinaryConfig(path: string, data: Uint8Array): ConfigDump {
  if (!VALID_SIZES.includes(data.length)) {
    throw new CfgvirtError([error("D005", `${path}: binary config file of ${data.length} bytes; expected 64, 256 or 4096`)]);
  }
  return { bytes: Uint8Array.from(data), title: undefined, path };
}

/** Binary when it holds a byte no text dump would: NUL or a control character. */
function looksBinary(data: Uint8Array): boolean {
  for (let i = 0; i < Math.min(data.length, 512); i++) {
    const b = data[i];
    if (b === 0 || (b < 9) || (b > 13 && b < 32) || b >= 0x7f) return true;
  }
  return false;
}

export function readConfigFile(path: string): ConfigDump {
  const data = readFileSync(path);
  return looksBinary(data) ? parseBinaryConfig(path, data) : parseLspciDump(path, data.toString("utf8"));
}

const hex2 = (b: number) => b.toString(16).padStart(2, "0");

/** Write bytes in the `lspci -xxxx` layout, which `lspci -F` reads back. */
export function formatLspciDump(bytes: Uint8Array, title: string): string {
  const out = [title];
  for (let off = 0; off < bytes.length; off += 16) {
    const row = Array.from(bytes.subarray(off, off + 16), hex2).join(" ");
    out.push(`${off.toString(16).padStart(2, "0")}: ${row}`);
  }
  return out.join("\n") + "\n";
}
