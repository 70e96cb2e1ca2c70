// Once before any test file: dist/ is built from the current sources, for the
// tests that run the built command line in a process of their own
// (test/helpers/dist.ts) and the package test, which packs dist/ as it is.
//
// Every temporary file of the run (the tests' own and those of the processes
// they start) goes in one folder, removed at the end: TMPDIR is what
// os.tmpdir() and most programs read, and the workers inherit it. Each vitest
// project runs this setup and its teardown, not necessarily at the same time,
// so the folder is counted in and out on the main process's globalThis (each
// project may load this module afresh).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureDistCurrent } from "./helpers/dist.js";

interface RunFolder {
  readonly root: string;
  readonly outer: string | undefined;
  users: number;
}
const shared = globalThis as { cfgvirtTestRunFolder?: RunFolder };

export function setup(): () => void {
  ensureDistCurrent();
  if (shared.cfgvirtTestRunFolder === undefined) {
    const outer = process.env.TMPDIR;
    const root = mkdtempSync(join(tmpdir(), "cfgvirt-test-run-"));
    process.env.TMPDIR = root;
    shared.cfgvirtTestRunFolder = { root, outer, users: 0 };
  }
  const run = shared.cfgvirtTestRunFolder;
  run.users++;
  return () => {
    if (--run.users > 0) return;
    if (run.outer === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = run.outer;
    rmSync(run.root, { recursive: true, force: true });
    shared.cfgvirtTestRunFolder = undefined;
  };
}
