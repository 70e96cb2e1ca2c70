// Reading configuration dumps: lspci -x (64), -xxx (256), -xxxx (4096), with or
// without the device line; raw binary config files; positioned errors.
import { describe, expect, it } from "vitest";
import { formatLspciDump, parseBinaryConfig, parseLspciDump } from "../../src/host/dump.js";
import { errorOf } from "../helpers/errors.js";

function rows(bytes: number, fill = (i: number) => i & 0xff): string {
  const out: string[] = [];
  for (let off = 0; off < bytes; off += 16) {
    const r = Array.from({ length: 16 }, (_, k) => fill(off + k).toString(16).padStart(2, "0")).join(" ");
    out.push(`${off.toString(16).padStart(2, "0")}: ${r}`);
  }
  return out.join("\n") + "\n";
}


describe("lspci dumps", () => {
  it.each([64, 256, 4096])("reads %i bytes, with and without the device line", (n) => {
    const plain = parseLspciDump("d", rows(n));
    expect(plain.bytes.length).toBe(n);
    expect(plain.bytes[0x3f]).toBe(0x3f);
    expect(plain.title).toBeUndefined();
    const titled = parseLspciDump("d", "0000:03:00.0 Non-Volatile memory controller: X\n" + rows(n));
    expect(titled.title).toBe("0000:03:00.0 Non-Volatile memory controller: X");
    expect(Array.from(titled.bytes)).toEqual(Array.from(plain.bytes));
  });

  it("writes what it reads: format then parse is the identity", () => {
    const bytes = Uint8Array.from({ length: 4096 }, (_, i) => (i * 37) & 0xff);
    const text = formatLspciDump(bytes, "00:00.0 Device");
    expect(text.split("\n")[1]).toMatch(/^00: 00 25 4a/);
    expect(text.split("\n")[256]).toMatch(/^ff0: /);
    expect(Array.from(parseLspciDump("x", text).bytes)).toEqual(Array.from(bytes));
  });

  it("names the line of a malformed row", () => {
    const text = rows(64).replace("20: ", "20: zz ");
    const e = errorOf(() => parseLspciDump("bad.lspci", text));
    expect(e.code).toBe("D001");
    expect(e.message).toMatch(/^bad\.lspci:3:1: error\[D001\]: not a row of a configuration dump/);
    expect(e.message).toContain("help: rows look like `00: 86 80");
  });

  it("names the line of a row out of order, and of a short row", () => {
    const skipped = rows(64).split("\n").filter((l) => !l.startsWith("10:")).join("\n");
    expect(errorOf(() => parseLspciDump("d", skipped)).message).toMatch(/^d:2:1: error\[D002\]: row at offset 0x20 where 0x10 was expected/);
    const short = rows(64).replace(/^(10:( [0-9a-f]{2}){15}) [0-9a-f]{2}$/m, "$1");
    expect(errorOf(() => parseLspciDump("d", short)).message).toMatch(/^d:2:5: error\[D003\]: row holds 15 bytes; a row holds 16/);
  });

  it("rejects a dump of an unusual size, and a second device", () => {
    expect(errorOf(() => parseLspciDump("d", rows(128))).message).toMatch(/error\[D005\]: dump holds 128 bytes; expected 64, 256 or 4096/);
    const two = "00:01.0 A\n" + rows(64) + "00:02.0 B\n" + rows(64);
    expect(errorOf(() => parseLspciDump("d", two)).message).toMatch(/^d:6:1: error\[D004\]: the dump holds 2 devices \(00:01\.0, 00:02\.0\); a second device starts here/);
  });

  it("reads binary config files of 64, 256 and 4096 bytes and refuses others", () => {
    for (const n of [64, 256, 4096]) expect(parseBinaryConfig("config", new Uint8Array(n)).bytes.length).toBe(n);
    expect(errorOf(() => parseBinaryConfig("config", new Uint8Array(100))).message).toContain("binary config file of 100 bytes; expected 64, 256 or 4096");
  });
});
