// Issue 10 point 19: the command line's argument and file handling, fuzzed as the
// parsers are. Random argument vectors over every verb, option and a pool of
// hostile files (device nodes, directories, a FIFO nobody writes to, symbolic
// link loops, over-long names, truncated and random dumps, rule files with
// syntax errors, includes of /etc/shadow) go through `run(argv, io)` in
// process: it never throws, and a non-zero exit always comes with a message
// and never with a stack trace.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { expect, it } from "vitest";
import { run } from "../../src/cli/main.js";
import { formatLspciDump } from "../../src/host/dump.js";
import { DEFAULT_EXAMPLE } from "../../src/open-device.js";

const SEED = 0x10_19;
const dir = mkdtempSync(join(tmpdir(), "cfgvirt-cli-fuzz-"));

const nic = new Uint8Array(256);
nic.set([0x86, 0x80, 0xc9, 0x10, 0x07, 0x04, 0x10, 0x00, 0x01, 0x00, 0x00, 0x02], 0);
const good = formatLspciDump(nic, "01:00.0 Ethernet controller: X");
const files: Record<string, string | Uint8Array> = {
  "good.lspci": good,
  "two.lspci": good + "\n" + good.replace("01:00.0", "01:00.1"),
  "short.lspci": good.split("\n").slice(0, 3).join("\n"),
  "junk.lspci": "zz\n".repeat(2000),
  "binary.cfg": nic,
  "odd.cfg": new Uint8Array(100).fill(0xff),
  "empty.lspci": "",
  "bad.rules": "capability x id 0x05 { register r @ 0x00 u17 { } }\n",
  "deep.rules": `capability y id 0x09 { when ${"(".repeat(500)}a${")".repeat(500)} { } }\n`,
  "shadow.rules": 'include "/etc/shadow"\n',
  "ok.rules": 'device "fz" match 8086:10c9 { hide msi }\n',
  "script.txt": "r 0x00 4\nw 0x04 2 0x0006\nr 0x04 2\n",
  "bad-script.txt": "x 1 2\n".repeat(300),
};
for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
mkdirSync(join(dir, "dir.rules"));
symlinkSync("loop2", join(dir, "loop1"));
symlinkSync("loop1", join(dir, "loop2"));
execFileSync("mkfifo", [join(dir, "fifo.lspci")]);

const paths = [
  ...Object.keys(files).map((f) => join(dir, f)),
  join(dir, "dir.rules"), join(dir, "loop1"), join(dir, "fifo.lspci"), join(dir, "missing.lspci"),
  join(dir, "good.lspci", "below"), join(dir, "x".repeat(300)), "/".repeat(5000) + "a",
  "/dev/zero", "/dev/null", "/etc/shadow", "/proc/self/status", DEFAULT_EXAMPLE, "00:03.0", "0000:ff:1f.7", "examples/nic.rules",
];

const word = fc.oneof(
  fc.constantFrom(...paths),
  fc.constantFrom("0", "1", "-3", "x", "1.5", "0x10", "0=128K", "rom=64K", "0=6G", "7=1K", "lspci", "json", "01:00.1", "8086:10c9", ":", "zz:", ""),
  fc.string({ maxLength: 12 }),
);
const option = fc.constantFrom(
  "--device", "--rules", "--bar", "-s", "-d", "--slot", "--id", "--format", "--json", "--host", "--seed", "--length",
  "--no-std", "--library", "--sysfs", "--help", "-h", "--bogus", "-x",
);
const verb = fc.constantFrom("view", "replay", "compile", "explain", "diff", "list", "nosuchverb", "--help", "help");
const argv = fc.tuple(verb, fc.array(fc.oneof(option, word), { maxLength: 6 })).map(([v, rest]) => [v, ...rest]);

async function runCaptured(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await run(args, { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

function checkOutcome(args: string[], r: { code: number; err: string }): void {
  expect(typeof r.code, JSON.stringify(args)).toBe("number");
  if (r.code !== 0) expect(r.err.trim().length, `no message for ${JSON.stringify(args)}`).toBeGreaterThan(0);
  expect(r.err, JSON.stringify(args)).not.toMatch(/^\s+at .*:\d+:\d+\)?$/m);
  expect(r.err.length, JSON.stringify(args)).toBeLessThan(50_000);
}

it("10.19 CLI fuzz: random argument vectors over hostile files never throw; failures say why", async () => {
  await fc.assert(
    fc.asyncProperty(argv, async (args) => {
      const r = await runCaptured(args);
      checkOutcome(args, r);
    }),
    { seed: SEED, numRuns: 250 },
  );
}, 120_000);

it("10.19 CLI fuzz: every hostile file, given to every input option, fails cleanly", async () => {
  const hostile = paths.filter((p) => !/good|binary|ok\.rules|script\.txt|nic\.rules|00:03\.0/.test(p));
  for (const p of hostile) {
    for (const args of [["view", "--device", p], ["compile", p], ["replay", p], ["view", "--rules", p], ["diff", p, DEFAULT_EXAMPLE], ["fuzz", "--runs", "3", "--device", p]]) {
      const r = await runCaptured(args);
      checkOutcome(args, r);
      // An empty access script is a valid one, and so is an empty rule file from a pipe.
      // A directory given to --rules stands for every .rules file below it (none here).
      const emptyInput = (args[0] === "replay" && /empty\.lspci|fifo/.test(p)) || ((args[0] === "compile" || args[1] === "--rules") && /fifo/.test(p)) || (args[1] === "--rules" && /dir\.rules$/.test(p));
      if (!emptyInput) expect(r.code, JSON.stringify(args)).not.toBe(0);
    }
  }
}, 120_000);
