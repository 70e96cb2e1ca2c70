// Once before any test file: dist/ is built from the current sources, for the
// tests that run the built command line in a process of their own
// (test/helpers/dist.ts) and the package test, which packs dist/ as it is.
//
// Every temporary file of the run (the tests' own and those of the processes
// they start) goes in one folder, removed at the end: TMPDIR is what
// os.tmpdir() and most programs read, and the workers inherit it.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureDistCurrent } from "./helpers/dist.js";

export function setup(): () => void {
  ensureDistCurrent();
  const outer = process.env.TMPDIR;
  const root = mkdtempSync(join(tmpdir(), "cfgvirt-test-run-"));
  process.env.TMPDIR = root;
  return () => {
    if (outer === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = outer;
    rmSync(root, { recursive: true, force: true });
  };
}
