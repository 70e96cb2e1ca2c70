// The standard library's syntax trees, saved by the build. Parsing the library
// costs ~0.7 s (importing ohm-js, building the grammar, matching 40 files),
// and its trees depend only on each file's text and on the parser. So
// `npm run build` saves them beside the parser (stdlib-syntax.json), and a
// process that needs them (the reference interpreter behind `cfgvirt fuzz`,
// the language server, docs, a device file's overrides) reads them in ~10 ms
// without loading ohm-js. A file whose text differs from the build's, or a
// parser (grammar or this folder's code) that differs, parses as usual.
//
// In the document a span's `source` is 0 (each file has one source, rebuilt at
// load with the name the caller shows in diagnostics), and a property present
// with the value undefined is kept as a marker, so that the trees read back
// with the same keys in the same order as the parser made them.
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { SourceFile } from "../diag/diagnostic.js";
import { hashFiles, sha256 } from "../io/content-hash.js";
import { grammarPath, rulesDir } from "../paths.js";
import type * as A from "./ast.js";

const SYNTAX_FORMAT = "cfgvirt-syntax/1";
const UNDEFINED = "\u0000undefined";
const syntaxDir = dirname(fileURLToPath(import.meta.url));
/** Beside the compiled parser: dist/src/syntax/stdlib-syntax.json. */
export const syntaxCachePath = join(syntaxDir, "stdlib-syntax.json");

interface SyntaxDocument {
  readonly format: string;
  /** What the trees depend on besides each file's text: the grammar and the parser's code. */
  readonly parser: string;
  /** By path relative to rules/: the SHA-256 of the text parsed, and the items. */
  readonly files: Record<string, { readonly text: string; readonly items: unknown }>;
}

function parserHash(): string {
  const suffix = syntaxDir.includes(join("dist", "src")) ? ".js" : ".ts";
  const code = readdirSync(syntaxDir).filter((f) => f.endsWith(suffix)).sort().map((f) => join(syntaxDir, f));
  return hashFiles(SYNTAX_FORMAT, [grammarPath, ...code]);
}

/** Save the trees of standard library files that parsed (the build calls this). */
export function writeSyntaxCache(files: readonly { readonly fullPath: string; readonly text: string; readonly file: A.RuleFile }[], path = syntaxCachePath): void {
  const doc: SyntaxDocument = {
    format: SYNTAX_FORMAT,
    parser: parserHash(),
    files: Object.fromEntries(files.map((f) => [relative(rulesDir, f.fullPath), { text: sha256(f.text), items: f.file.items }])),
  };
  // Only a span's `source` holds a SourceFile; everything else in a tree is plain data.
  writeFileSync(path, JSON.stringify(doc, (key, value: unknown) => (key === "source" ? 0 : value === undefined ? UNDEFINED : value)));
}

const documents = new Map<string, SyntaxDocument | null>();

function document(path: string): SyntaxDocument | null {
  if (!existsSync(path)) return null;
  try {
    const doc = JSON.parse(readFileSync(path, "utf8")) as SyntaxDocument;
    return doc.format === SYNTAX_FORMAT && doc.parser === parserHash() ? doc : null;
  } catch {
    return null;
  }
}

/**
 * The saved tree of the standard library file at `fullPath`, as `parseRules(name, text)`
 * would return it, or undefined when none was saved for this text and parser.
 */
export function savedSyntax(fullPath: string, name: string, text: string, path = syntaxCachePath): A.RuleFile | undefined {
  if (!documents.has(path)) documents.set(path, document(path));
  const entry = documents.get(path)?.files[relative(rulesDir, fullPath)];
  if (entry === undefined || entry.text !== sha256(text)) return undefined;
  return { path: name, items: revive(entry.items, new SourceFile(name, text)) as A.Item[] };
}

/** A fresh copy of saved tree data, each span's source set and undefined values restored. */
function revive(value: unknown, source: SourceFile): unknown {
  if (Array.isArray(value)) return value.map((v) => revive(v, source));
  if (value === UNDEFINED) return undefined;
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = k === "source" ? source : revive(v, source);
  return out;
}
