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

export function decode(dumpText: string): Decoded {
  const dir = mkdtempSync(join(tmpdir(), "cfgvirt-lspci-"));
  const file = join(dir, "dump.lspci");
  writeFileSync(file, dumpText);
  const r = spawnSync("lspci", ["-F", file, "-vvv"], { encoding: "utf8" });
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
