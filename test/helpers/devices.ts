// The real device dumps live beside the project in ../shared/devices and are
// never copied into it; tests that need them skip with a message when absent.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../../src/paths.js";

export const sharedDevicesDir = join(packageRoot, "..", "shared", "devices");
export const haveSharedDevices = existsSync(sharedDevicesDir);
if (!haveSharedDevices) console.warn(`skipping real-device tests: ${sharedDevicesDir} is absent`);

export function sharedDumps(): string[] {
  if (!haveSharedDevices) return [];
  return readdirSync(sharedDevicesDir).filter((f) => f.endsWith(".lspci")).sort().map((f) => join(sharedDevicesDir, f));
}

/** Header type from a dump's text, without going through the code under test. */
export function dumpHeaderType(path: string): number {
  const row = readFileSync(path, "utf8").split("\n").find((l) => l.startsWith("00: "))!;
  return parseInt(row.slice(4).split(" ")[14], 16) & 0x7f;
}
