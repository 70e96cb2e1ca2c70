// Decode a dump with the real lspci (Debian's pciutils), as a user would.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const haveLspci = spawnSync("lspci", ["--version"]).status === 0;
if (!haveLspci && process.env.CI) throw new Error("lspci (Debian package pciutils) is required in CI; .ci/run installs it");

export interface Decoded {
  readonly text: string;
  readonly stderr: string;
  /** Capabilities lspci shows, as `[40] Power Management version 3` lines' offset and name. */
  readonly capabilities: { offset: number; name: string; extended: boolean }[];
}

/**
 * `lspci -F FILE -vvv`. Numeric IDs (`-n`) unless `names` is asked for: vendor,
 * device and class names come from pci.ids, which lspci parses on every run
 * (three quarters of its 11 ms here); the registers and capabilities decode the same.
 */
export function decode(dumpText: string, { names = false }: { names?: boolean } = {}): Decoded {
  const dir = mkdtempSync(join(tmpdir(), "cfgvirt-lspci-"));
  const file = join(dir, "dump.lspci");
  writeFileSync(file, dumpText);
  const r = spawnSync("lspci", [...(names ? [] : ["-n"]), "-F", file, "-vvv"], { encoding: "utf8" });
  const stderr = r.stderr.split("\n").filter((l) => l && !/libkmod/.test(l)).join("\n");
  const capabilities = [...r.stdout.matchAll(/Capabilities: \[([0-9a-f]+)(?: v\d+)?\] (.*)/g)].map((m) => ({
    offset: parseInt(m[1], 16),
    name: m[2],
    extended: parseInt(m[1], 16) >= 0x100,
  }));
  return { text: r.stdout, stderr, capabilities };
}

export function lspciVersion(): string {
  return execFileSync("lspci", ["--version"], { encoding: "utf8" }).trim();
}
