// The standard library, compiled ahead of time. `npm run build` writes it next
// to the compiled code, in the document format `cfgvirt compile --json` writes
// (schema.ts), validated by the zod schema there; a tool that needs only the
// standard library (a dump viewed, fuzzed or served) loads it instead of
// parsing 40 rule files. It is used only while it matches both the rule files
// and the compiler that wrote it (a content hash of each); otherwise, or when
// anything asks for the syntax trees (the reference interpreter, docs, a device
// file's own overrides), the rules compile as usual.
//
// At load the document is not validated by zod again: its bytes are checked
// against the SHA-256 the build recorded after validating them (stdlib.json.sha256),
// which costs ~1 ms where importing zod and validating cost ~100 ms cold. Any
// other bytes (edited, truncated, written by another build) are not used.
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Diagnostic } from "../diag/diagnostic.js";
import { hashFiles, sha256 } from "../io/content-hash.js";
import { builtRun, grammarPath, rulesDir } from "../paths.js";
import { compiledFromJson, compiledToJson } from "./compiled-json.js";
import type { CompiledRules } from "./pipeline.js";
import { COMPILED_FORMAT, type CompiledJson, validateCompiledJson } from "./schema.js";

const compilerDir = dirname(fileURLToPath(import.meta.url));
/** Beside the compiled compiler: dist/src/compile/stdlib.json. */
export const stdlibCachePath = join(compilerDir, "stdlib.json");
/** The SHA-256 of the document's bytes, written once they passed the zod schema. */
export const validatedStampPath = (path: string): string => `${path}.sha256`;

function filesBelow(dir: string, suffix: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? filesBelow(join(dir, e.name), suffix) : e.name.endsWith(suffix) ? [join(dir, e.name)] : []))
    .sort();
}

/** What the cache depends on: the rule files, the grammar, and the compiler's own code. */
export function stdlibHash(): string {
  const code = filesBelow(compilerDir, builtRun ? ".js" : ".ts");
  return hashFiles(COMPILED_FORMAT, [...filesBelow(rulesDir, ".rules"), grammarPath, ...code]);
}

/** The cache's document for a compiled standard library and its rule warnings. */
export function stdlibCacheJson(compiled: CompiledRules, warnings: readonly Diagnostic[]): CompiledJson {
  return { ...compiledToJson(compiled, warnings), hash: stdlibHash() };
}

/** Write the cache and, once the zod schema accepted it, the hash of its bytes. */
export function writeStdlibCache(compiled: CompiledRules, warnings: readonly Diagnostic[], path = stdlibCachePath): void {
  const text = JSON.stringify(stdlibCacheJson(compiled, warnings));
  validateCompiledJson(path, text);
  writeFileSync(path, text);
  writeFileSync(validatedStampPath(path), sha256(text) + "\n");
}

/**
 * The standard library from the cache, or undefined when there is none, its
 * bytes are not the ones the build validated, or it does not match the rules
 * and compiler here. `full` compiles from source; the result calls it only
 * when something needs what the cache does not hold.
 */
export function loadStdlibCache(full: () => CompiledRules, path = stdlibCachePath): CompiledRules | undefined {
  let data: CompiledJson;
  try {
    const text = readFileSync(path);
    if (sha256(text) !== readFileSync(validatedStampPath(path), "utf8").trim()) return undefined;
    data = JSON.parse(text.toString("utf8")) as CompiledJson;
  } catch {
    return undefined;
  }
  if (data.format !== COMPILED_FORMAT || data.hash !== stdlibHash()) return undefined;
  return compiledFromJson(data, full);
}
