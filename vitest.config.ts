// Test files share one module graph per worker (`isolate: false`): the
// compiler, ohm's grammar and the standard library are then imported and
// compiled once per worker instead of once per file, which was most of the
// suite's CPU time. A file that replaces a module (`vi.mock`) would replace it
// for the files after it, so such files, found by reading them, keep their own
// graph. Spies, stubbed globals and environment variables are undone after
// every test.
//
// At least two workers: vitest's default (cores - 1) is one on a 2-core machine,
// and much of the suite waits on other processes (npm, the packaged CLI, QEMU,
// Chromium) while the other worker can run. Forks, not threads: a test file may
// set process.env for the time of a test.
//
// Tests that need a cfgvirt process of their own run the built one (dist/);
// the global setup builds it first when it is older than its sources.
//
// The files that take longest start first, so that the workers finish
// together: vitest orders by the durations it cached from the last run, but a
// fresh checkout (CI) has none and would order by file size, leaving the
// package test or the real guest boot to run alone at the end.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { BaseSequencer, type TestSpecification } from "vitest/node";
import { defineConfig } from "vitest/config";

const testFiles = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? testFiles(join(dir, e.name)) : e.name.endsWith(".test.ts") ? [join(dir, e.name)] : []));
const root = dirname(fileURLToPath(import.meta.url));
const ownGraph = testFiles(join(root, "test")).map((f) => relative(root, f)).filter((f) => /\bvi\.(mock|doMock|unmock|resetModules)\(/.test(readFileSync(join(root, f), "utf8")));

// First those that spend ~3-13 s in or waiting on the processes they run, then
// the fuzz suites, ~3-5 s of CPU each: started last, one runs alone at the end.
const slowest = [
  "test/cli/package.test.ts", "test/docs/browser.test.ts", "test/serve/real-guest.test.ts", "test/types.test.ts", "test/editors/extension.test.ts", "test/cli/readme.test.ts",
  "test/fuzz/policies.test.ts", "test/fuzz/parsers.test.ts", "test/fuzz/differential.test.ts",
];
for (const f of slowest) if (!existsSync(join(root, f))) throw new Error(`vitest.config.ts: ${f} is listed among the slowest test files but does not exist`);
// Files with a module graph of their own go last: a worker that takes one is
// replaced, and the shared worker that follows imports the whole graph again.
class SlowestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (f: TestSpecification) => {
      const file = relative(root, f.moduleId);
      const i = slowest.indexOf(file);
      return ownGraph.includes(file) ? slowest.length + 1 : i < 0 ? slowest.length : i;
    };
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b));
  }
}

export default defineConfig({
  test: {
    pool: "forks",
    // A larger young generation: the fuzz and parser tests allocate short-lived
    // objects by the million, and fewer scavenges cost ~5% less CPU on them.
    execArgv: ["--max-semi-space-size=64"],
    globalSetup: ["test/global-setup.ts"],
    sequence: { sequencer: SlowestFirst },
    maxWorkers: Math.max(2, availableParallelism() - 1),
    restoreMocks: true,
    unstubEnvs: true,
    unstubGlobals: true,
    // A machine shared with other work slows a test's wall time several-fold; a
    // test that needs longer says so itself. Nothing here times behaviour.
    testTimeout: 30_000,
    projects: [
      { extends: true, test: { name: "shared", include: ["test/**/*.test.ts"], exclude: ownGraph, isolate: false } },
      ...(ownGraph.length > 0 ? [{ extends: true as const, test: { name: "isolated", include: ownGraph, isolate: true } }] : []),
    ],
  },
});
