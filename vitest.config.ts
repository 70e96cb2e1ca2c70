// Test files share one module graph per worker (`isolate: false`): the
// compiler, ohm's grammar and the standard library are then imported and
// compiled once per worker instead of once per file, which was most of the
// suite's CPU time. Files that replace a module (`vi.mock`) keep their own graph.
//
// At least two workers: vitest's default (cores - 1) is one on a 2-core machine,
// and much of the suite waits on other processes (npm, the packaged CLI, QEMU,
// Chromium) while the other worker can run. Forks, not threads: a test file may
// set process.env for the time of a test.
import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

const ownGraph = ["test/fuzz/oracle-independence.test.ts"];

export default defineConfig({
  test: {
    pool: "forks",
    maxWorkers: Math.max(2, availableParallelism() - 1),
    restoreMocks: true,
    // A machine shared with other work slows a test's wall time several-fold; a
    // test that needs longer says so itself. Nothing here times behaviour.
    testTimeout: 30_000,
    projects: [
      { extends: true, test: { name: "shared", include: ["test/**/*.test.ts"], exclude: ownGraph, isolate: false } },
      { extends: true, test: { name: "isolated", include: ownGraph, isolate: true } },
    ],
  },
});
