// The module boundaries the design depends on, checked on every import
// (type-only and dynamic imports included):
// - ohm-js is used inside src/syntax/ only;
// - the reference interpreter (src/fuzz/reference/) imports only the rule AST
//   and the diagnostics: an oracle that shares code with what it checks
//   repeats its bugs (a chain walker that forgets MSI fooled both sides);
// - src/host/ (dumps, the simulated device) imports nothing above it: only
//   the diagnostics, the input reader (src/io/) and itself;
// - the compiler's stages run one way: resolve -> validate -> lower -> apply;
//   no stage imports a later one, and validate shares nothing with lower.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { parseSync, Visitor } from "oxc-parser";
import { describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "..");
const src = join(root, "src");

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? tsFiles(p) : n.endsWith(".ts") ? [p] : [];
  });
}

/** Every module a file imports: project files as paths relative to the root (`src/x/y.ts`), packages by name. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const parsed = parseSync(file, text);
  if (parsed.errors.length > 0) throw new Error(`${file}: ${parsed.errors[0]?.message}`);
  const specs: string[] = [];
  const literal = (node: { type: string; value?: unknown } | null) => {
    if (node?.type === "Literal" && typeof node.value === "string") specs.push(node.value);
  };
  // Declarations, re-exports (`export type * as X from`), `import()` and type positions (`import("x").T`).
  new Visitor({
    ImportDeclaration: (n) => literal(n.source),
    ExportAllDeclaration: (n) => literal(n.source),
    ExportNamedDeclaration: (n) => literal(n.source),
    ImportExpression: (n) => literal(n.source),
    TSImportType: (n) => literal(n.source),
  }).visit(parsed.program);
  // Packages required on first use through createRequire (`requireCjs("ohm-js")`), to keep start-up fast, count too.
  specs.push(...[...text.matchAll(/\brequire\w*\(\s*"([^"]+)"\s*\)/g)].map((m) => m[1] ?? ""));
  return specs.map((spec) => {
    if (!spec.startsWith(".")) return spec;
    return relative(root, resolve(dirname(file), spec)).replace(/\.js$/, ".ts").split("\\").join("/");
  });
}

const files = tsFiles(src).map((f) => ({ path: relative(root, f).split("\\").join("/"), imports: importsOf(f) }));
const builtin = (m: string) => m.startsWith("node:");

/** Imports that break a rule: "file -> module". */
function violations(inScope: (path: string) => boolean, allowed: (module: string) => boolean): string[] {
  return files.filter((f) => inScope(f.path)).flatMap((f) => f.imports.filter((m) => !allowed(m)).map((m) => `${f.path} -> ${m}`));
}

it("the scanner sees the project's imports", () => {
  const parse = files.find((f) => f.path === "src/syntax/parse.ts");
  expect(parse?.imports).toContain("ohm-js");
  expect(files.find((f) => f.path === "src/compile/schema.ts")?.imports).toContain("zod");
  expect(parse?.imports).toContain("src/syntax/ast.ts");
  // A type-only re-export is an import too.
  expect(files.find((f) => f.path === "src/index.ts")?.imports).toContain("src/syntax/ast.ts");
});

it("nothing imports ohm-js outside src/syntax/", () => {
  expect(violations((p) => !p.startsWith("src/syntax/"), (m) => m !== "ohm-js" && !m.startsWith("ohm-js/"))).toEqual([]);
});

describe("the reference interpreter shares nothing with the table path", () => {
  it("has its modules in src/fuzz/reference/", () => {
    expect(files.filter((f) => f.path.startsWith("src/fuzz/reference/")).length).toBeGreaterThanOrEqual(4);
  });
  it("imports only the rule AST, the diagnostics and its own modules", () => {
    const allowed = (m: string) => m === "src/syntax/ast.ts" || m.startsWith("src/diag/") || m.startsWith("src/fuzz/reference/");
    expect(violations((p) => p.startsWith("src/fuzz/reference/"), allowed)).toEqual([]);
  });
});

describe("src/host/ imports nothing above it", () => {
  const found = violations((p) => p.startsWith("src/host/"), (m) => builtin(m) || m.startsWith("src/host/") || m.startsWith("src/diag/") || m.startsWith("src/io/"));
  it("has no dependency above it", () => {
    expect(found).toEqual([]);
  });
});

describe("the compiler's stages import only earlier stages", () => {
  const stages = ["resolve", "validate", "lower", "apply"];
  const stageOf = (p: string) => stages.findIndex((s) => p.startsWith(`src/compile/${s}/`));
  it("has a folder per stage, each with modules", () => {
    for (const s of stages) expect(files.filter((f) => f.path.startsWith(`src/compile/${s}/`)).length, s).toBeGreaterThanOrEqual(1);
  });
  it("no stage imports a later stage, and validate imports nothing of lower", () => {
    const found = files.flatMap((f) => {
      const own = stageOf(f.path);
      if (own < 0) return [];
      return f.imports.filter((m) => {
        const other = stageOf(m);
        return other > own || (stages[own] === "validate" && stages[other] === "lower") || (stages[own] === "lower" && stages[other] === "validate");
      }).map((m) => `${f.path} -> ${m}`);
    });
    expect(found).toEqual([]);
  });
});
