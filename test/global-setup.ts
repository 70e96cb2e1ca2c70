// Once before any test file: dist/ is built from the current sources, for the
// tests that run the built command line in a process of their own
// (test/helpers/dist.ts) and the package test, which packs dist/ as it is.
import { ensureDistCurrent } from "./helpers/dist.js";

export function setup(): void {
  ensureDistCurrent();
}
