// `npm run mutation`: plant a bug (./mutants.ts) in each part of the table
// path the fuzz suite guards (the capability-chain walker, device-file
// matching, resolving device files' overrides, the lowering, attach) and check
// that the fuzz suite fails on each, and passes on the unmutated code. Each mutant runs in a copy of the project in a temporary
// directory (node_modules linked), so the working tree is never touched, and
// without ../shared: the example devices alone must catch every mutant.
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { MUTANTS } from "./mutants.js";

const root = resolve(import.meta.dirname, "../..");
const SUITE = ["test/fuzz/differential.test.ts", "test/fuzz/variant-overrides.test.ts", "test/fuzz/foreign-status.test.ts"];

/** A copy of the project to mutate: sources, rules, examples, configuration. */
function copyProject(): string {
  const dir = mkdtempSync(join(tmpdir(), "cfgvirt-mutant-"));
  const copy = join(dir, "cfgvirt");
  for (const p of ["src", "test", "rules", "examples", "grammar", "package.json", "tsconfig.json", "tsconfig.test.json"]) {
    if (existsSync(join(root, p))) cpSync(join(root, p), join(copy, p), { recursive: true });
  }
  symlinkSync(join(root, "node_modules"), join(copy, "node_modules"), "dir");
  return copy;
}

/** Run the fuzz suite in `dir`: passed, and how long it took. */
function runSuite(dir: string): { passed: boolean; seconds: number; summary: string } {
  const start = performance.now();
  const r = spawnSync(process.execPath, [join(root, "node_modules/vitest/vitest.mjs"), "run", ...SUITE, "--bail", "1"], {
    cwd: dir,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" },
  });
  const out = `${r.stdout}\n${r.stderr}`;
  const summary = out.split("\n").find((l) => /^\s*Tests\s/.test(l))?.trim() ?? out.trim().split("\n").slice(-3).join(" | ");
  return { passed: r.status === 0, seconds: (performance.now() - start) / 1000, summary };
}

let failures = 0;
const base = copyProject();
try {
  const b = runSuite(base);
  console.log(`unmutated: ${b.passed ? "passes" : "FAILS"} (${b.seconds.toFixed(1)} s; ${b.summary})`);
  if (!b.passed) failures++;
  for (const m of MUTANTS) {
    const file = join(base, m.file);
    const text = readFileSync(file, "utf8");
    const at = text.indexOf(m.find);
    if (at < 0 || text.indexOf(m.find, at + 1) >= 0) {
      console.log(`${m.part}: cannot plant "${m.what}": the code to mutate is not found exactly once in ${m.file}; update the mutant`);
      failures++;
      continue;
    }
    writeFileSync(file, text.replace(m.find, m.replace));
    const r = runSuite(base);
    writeFileSync(file, text);
    console.log(`${m.part}: ${m.what}: ${r.passed ? "SURVIVED (the fuzz suite passes)" : "caught"} (${r.seconds.toFixed(1)} s; ${r.summary})`);
    if (r.passed) failures++;
  }
} finally {
  rmSync(join(base, ".."), { recursive: true, force: true });
}
console.log(failures === 0 ? `mutation check: every mutant caught` : `mutation check: ${failures} problem(s)`);
process.exitCode = failures === 0 ? 0 : 1;
