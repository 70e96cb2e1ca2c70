// `cfgvirt export`: the C header compiles with the system compiler and, driven
// by a small C implementation of the access semantics, gives the same reads,
// hook calls, host bytes and virtual state as the table runtime on the same
// trace. The Rust module compiles with rustc when present; JSON holds the masks.
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { HOOK_NAMES } from "../../src/compile/vocabulary.js";
import { SimulatedDevice } from "../../src/host/simulated.js";
import { exampleDevices, openDevice } from "../../src/open-device.js";
import { packageRoot } from "../../src/paths.js";
import { VirtualDevice } from "../../src/runtime/virtual-device.js";
import { DeviceLog } from "../../src/runtime/log.js";
import { cli } from "../helpers/cli.js";
import { sharedDumps } from "../helpers/devices.js";

const haveGcc = spawnSync("gcc", ["--version"]).status === 0;
const haveRustc = spawnSync("rustc", ["--version"]).status === 0;
if (!haveGcc && process.env.CI) throw new Error("gcc is required in CI; .ci/run installs it");

/** A deterministic trace: aligned and unaligned accesses, odd sizes, offsets past the end. */
function trace(seed: number, n: number): string[] {
  let x = seed >>> 0 || 1;
  const next = () => ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0), x);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = next();
    const offset = r % 16 === 0 ? next() % 4200 : r % 4 === 0 ? next() % 4096 : next() % 256;
    const size = [1, 2, 4, 4, 2, 1, 3, 4][next() % 8];
    const value = next() % 5 === 0 ? 0xffffffff : next();
    const v = size === 4 ? value >>> 0 : value & ((1 << (size * 8)) - 1);
    out.push(next() % 2 ? `r ${offset.toString(16)} ${size}` : `w ${offset.toString(16)} ${size} ${v.toString(16)}`);
  }
  return out;
}

/** What the table runtime does with the same tables, a plain-memory host, and hooks that only record. */
function expected(device: string, lines: readonly string[]): string {
  const opened = openDevice(device, { allowBridge: false });
  const host = new SimulatedDevice(opened.source.bytes);
  const out: string[] = [];
  const dev = new VirtualDevice(opened.tables, host, new DeviceLog(() => {}), (_d, hook, dword, written) =>
    out.push(`h ${HOOK_NAMES.indexOf(hook) + 1} ${dword} ${(written >>> 0).toString(16).padStart(8, "0")}`));
  for (const l of lines) {
    const [op, o, s, v] = l.split(" ");
    if (op === "r") out.push(`r ${(dev.read(parseInt(o, 16), Number(s)) >>> 0).toString(16).padStart(8, "0")}`);
    else dev.write(parseInt(o, 16), Number(s), parseInt(v, 16));
  }
  for (let d = 0; d < 1024; d++) out.push(`s ${(d * 4).toString(16).padStart(3, "0")} ${host.words[d].toString(16).padStart(8, "0")} ${dev.shadow.get(d).toString(16).padStart(8, "0")}`);
  return out.join("\n") + "\n";
}

const devices = [...exampleDevices(), ...sharedDumps().filter((p) => /82576|nvme|xhci/.test(p))];

describe("export --format c", () => {
  it.skipIf(!haveGcc).each(devices.map((d) => [d.replace(/.*\//, ""), d]))("%s: the C header gives the table runtime's results", async (_name, device) => {
    const dir = mkdtempSync(join(tmpdir(), "cfgvirt-export-"));
    const r = await cli("export", "--device", device, "--format", "c", "--name", "dev", "--out", join(dir, "tables.h"));
    expect(r.code).toBe(0);
    copyFileSync(join(packageRoot, "test", "cli", "export-driver.c"), join(dir, "driver.c"));
    execFileSync("gcc", ["-std=c99", "-O1", "-Wall", "-Werror", "-DTABLES=cfgvirt_dev", "-I", dir, "-o", join(dir, "driver"), join(dir, "driver.c")]);
    const opened = openDevice(device);
    writeFileSync(join(dir, "host.bin"), opened.source.bytes.subarray(0, opened.host.size));
    const lines = trace(0xc0ffee ^ device.length, 3000);
    const got = execFileSync(join(dir, "driver"), [join(dir, "host.bin")], { input: lines.join("\n") + "\n", encoding: "utf8", maxBuffer: 1 << 24 });
    const want = expected(device, lines);
    expect(got.split("\n").filter((l) => l.startsWith("h ")).length).toBeGreaterThan(0);
    expect(got).toBe(want);
  }, 60_000);
});

describe("export --format rust and json", () => {
  it.skipIf(!haveRustc)("the Rust module compiles", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cfgvirt-export-rs-"));
    const r = await cli("export", "--format", "rust", "--out", join(dir, "nic.rs"));
    expect(r.code).toBe(0);
    writeFileSync(join(dir, "lib.rs"), `mod nic;\npub fn hw_read(d: usize) -> u32 { nic::NIC_MASKS[d][nic::HW_READ] }\npub fn hook(d: usize) -> u8 { nic::NIC_HOOK[d] }\npub fn shadow(d: usize) -> u32 { nic::NIC_INITIAL_SHADOW[d] }\n`);
    execFileSync("rustc", ["--crate-type=lib", "--edition=2021", "--out-dir", dir, join(dir, "lib.rs")], { stdio: "pipe" });
  }, 120_000);

  it("JSON holds the masks, hook numbers and initial shadow of the table runtime", async () => {
    const r = await cli("export", "--format", "json");
    const j = JSON.parse(r.out);
    const t = openDevice(exampleDevices().find((p) => p.endsWith("nic.rules"))!).tables;
    expect(j.masks.hwRead).toEqual(Array.from(t.hwRead));
    expect(j.masks.hookBits).toEqual(Array.from(t.hookBits));
    expect(j.hook).toEqual(Array.from(t.hook));
    expect(j.initialShadow).toEqual(Array.from(t.initialShadow));
    expect(j.hookNames).toEqual([...HOOK_NAMES]);
  });

  it("refuses an unknown format with exit status 2", async () => {
    const r = await cli("export", "--format", "go");
    expect(r.code).toBe(2);
    expect(r.err).toContain("--format must be c, rust, json");
  });
});
