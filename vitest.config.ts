// Test files share one module graph per worker (`isolate: false`): the
// compiler, ohm's grammar and the standard library are then imported and
// compiled once per worker instead of once per file, which was most of the
// suite's CPU time. Files that replace a module (`vi.mock`) keep their own graph.
import { defineConfig } from "vitest/config";

const ownGraph = ["test/fuzz/oracle-independence.test.ts"];

export default defineConfig({
  test: {
    restoreMocks: true,
    projects: [
      { extends: true, test: { name: "shared", include: ["test/**/*.test.ts"], exclude: ownGraph, isolate: false } },
      { extends: true, test: { name: "isolated", include: ownGraph, isolate: true } },
    ],
  },
});
