// The syntax trees of the rule files shipped in the package (the standard
// library and the examples), saved by the build. Parsing the library costs
// ~0.7 s (importing ohm-js, building the grammar, matching 40 files), and a
// tree depends only on its file's text and on the parser. So `npm run build`
// saves them beside the compiled parser (stdlib-syntax.json), and a process
// that needs them (a compile with the user's or an example's files, the
// reference interpreter behind `cfgvirt fuzz`, the language server, docs) reads
// them in ~10 ms without loading ohm-js.
//
// Trees are keyed by the SHA-256 of the text alone, not by path: the text is
// all a tree depends on (the name shown in diagnostics is set at load), so one
// rule serves rules/ and examples/, wherever the package is installed, and a
// user's unedited copy of an example too. A text not saved parses as usual.
//
// Which parser made the trees: `parser` hashes the grammar and this folder's
// code as the process that wrote them ran it (dist's .js after a build).
// `sources` hashes the grammar and src/syntax/*.ts the build compiled that
// parser from. A built run uses the document when its own .js hash equals
// `parser`; a run from src/ (tests, tsx) when its .ts hash equals `sources`,
// so a parser edited in src/ after the build is never served the old trees.
// In the installed package there is no src/: only `parser` applies.
//
// The file is a header line (format, parser hashes, the SHA-256 of the body)
// and a body line (the trees): a damaged or truncated document is never read.
// In the body a span's `source` is 0 (each file has one source, rebuilt at load
// with the caller's name), and a property present with the value undefined is
// kept as a marker, so that trees read back with the same keys in the same
// order as the parser made them.
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { SourceFile } from "../diag/diagnostic.js";
import { hashFiles, sha256 } from "../io/content-hash.js";
import { builtRun, grammarPath, packageRoot } from "../paths.js";
import type * as A from "./ast.js";

const SYNTAX_FORMAT = "cfgvirt-syntax/2";
const UNDEFINED = "\u0000undefined";
const syntaxDir = dirname(fileURLToPath(import.meta.url));
/** Beside the compiled parser: dist/src/syntax/stdlib-syntax.json (a run from src/ reads the build's). */
export const syntaxCachePath = builtRun ? join(syntaxDir, "stdlib-syntax.json") : join(packageRoot, "dist", "src", "syntax", "stdlib-syntax.json");
/** The parser's sources in a checkout; absent from the installed package. */
const sourceDir = join(packageRoot, "src", "syntax");

interface SyntaxHeader {
  readonly format: string;
  /** The grammar and the parser's code as the writer ran it (.js when built). */
  readonly parser: string;
  /** The grammar and src/syntax/*.ts, when the writer ran where they exist. */
  readonly sources: string | null;
  /** SHA-256 of the body line. */
  readonly body: string;
}

const hashFolder = (dir: string, suffix: string): string =>
  hashFiles(SYNTAX_FORMAT, [grammarPath, ...readdirSync(dir).filter((f) => f.endsWith(suffix) && !f.endsWith(".d.ts")).sort().map((f) => join(dir, f))]);

/** The files a run from src/ parses with: the grammar and src/syntax/*.ts (exported for the tests). */
export function parserSourceHash(): string | null {
  return existsSync(sourceDir) ? hashFolder(sourceDir, ".ts") : null;
}

/** The parser this process runs: its .js when built, its .ts sources when run from src/. */
function runningParserHash(): string {
  return hashFolder(syntaxDir, builtRun ? ".js" : ".ts");
}

/** Save the trees of rule files that parsed (the build calls this with the standard library and the examples). */
export function writeSyntaxCache(files: readonly { readonly text: string; readonly file: A.RuleFile }[], path = syntaxCachePath): void {
  // Only a span's `source` holds a SourceFile; everything else in a tree is plain data.
  const trees = Object.fromEntries(files.map((f) => [sha256(f.text), f.file.items]));
  const body = JSON.stringify(trees, (key, value: unknown) => (key === "source" ? 0 : value === undefined ? UNDEFINED : value));
  const header: SyntaxHeader = { format: SYNTAX_FORMAT, parser: runningParserHash(), sources: parserSourceHash(), body: sha256(body) };
  writeFileSync(path, `${JSON.stringify(header)}\n${body}`);
}

const documents = new Map<string, Record<string, unknown> | null>();

function document(path: string): Record<string, unknown> | null {
  if (!existsSync(path)) return null;
  try {
    const text = readFileSync(path, "utf8");
    const nl = text.indexOf("\n");
    if (nl < 0) return null;
    const header = JSON.parse(text.slice(0, nl)) as Partial<SyntaxHeader>;
    if (header.format !== SYNTAX_FORMAT) return null;
    const body = text.slice(nl + 1);
    // The trees were made by this very parser, or (a run from src/) by one built from these very sources.
    const own = runningParserHash();
    const sameParser = builtRun ? header.parser === own : header.sources === own || header.parser === own;
    if (!sameParser || header.body !== sha256(body)) return null;
    const trees = JSON.parse(body) as unknown;
    return trees !== null && typeof trees === "object" && !Array.isArray(trees) ? (trees as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * The saved tree of a rule file with this text, as `parseRules(name, text)`
 * would return it, or undefined when none was saved for this text and parser.
 */
export function savedSyntax(name: string, text: string, path = syntaxCachePath): A.RuleFile | undefined {
  if (!documents.has(path)) documents.set(path, document(path));
  const trees = documents.get(path);
  if (!trees) return undefined;
  const items = trees[sha256(text)];
  if (!Array.isArray(items)) return undefined;
  return { path: name, items: revive(items, new SourceFile(name, text)) as A.Item[] };
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
