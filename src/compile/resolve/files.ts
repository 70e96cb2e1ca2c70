// The resolve stage, files: read rule files and, transitively, what they
// include (inside the including rule tree or the standard library), parse
// each once, and inline the register blocks layouts use.
import { existsSync, readdirSync, realpathSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { CfgvirtError, error, type Diagnostic, type Span } from "../../diag/diagnostic.js";
import { readTextInput } from "../../io/input.js";
import { rulesDir } from "../../paths.js";
import type * as A from "../../syntax/ast.js";
import { type ParseResult, parseRules } from "../../syntax/parse.js";
import { savedSyntax } from "../../syntax/syntax-cache.js";
import { registerBlocks, withBlocks } from "./blocks.js";

export interface RuleSet {
  readonly files: readonly A.RuleFile[];
  readonly layouts: readonly A.Layout[];
  readonly devices: readonly A.Device[];
  readonly images: readonly A.Image[];
}

/** Paths shown in diagnostics: relative to the working directory when shorter. */
function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel.length < path.length && !rel.startsWith("../..") ? rel : path;
}

/** Every `.rules` file below a directory, sorted, so that loading order is stable. */
export function rulesFilesIn(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...rulesFilesIn(p));
    else if (name.endsWith(".rules")) out.push(p);
  }
  return out;
}

/** The real path, or the resolved one when it does not exist (yet). */
function realOrResolved(path: string): string {
  try {
    return realpathSync.native(path); // one system call; the JS version stats every component
  } catch {
    return resolve(path);
  }
}

/** Whether `path` is `dir` or lies below it. */
export const within = (dir: string, path: string): boolean => path === dir || path.startsWith(dir.endsWith(sep) ? dir : dir + sep);

/**
 * Where an include resolves: beside the including file, then in the standard
 * library, and only to a `.rules` file inside the including file's rule tree
 * (the directory of the file named on the command line) or inside the standard
 * library; symbolic links are followed before the check. So a rule file cannot
 * read, or echo in an error, a file that is not a rule file (`include "/etc/shadow"`).
 */
function resolveInclude(item: A.Include, from: string, tree: string): { path: string; tree: string } | Diagnostic {
  const stdlib = realOrResolved(rulesDir);
  if (!item.path.endsWith(".rules")) {
    return error("E111", `included file "${item.path}" is not a rule file`, item.span, "includes name `.rules` files");
  }
  const candidates = [
    { path: realOrResolved(resolve(dirname(from), item.path)), tree },
    { path: realOrResolved(resolve(rulesDir, item.path)), tree: stdlib },
  ];
  const existing = candidates.filter((c) => existsSync(c.path));
  const allowed = existing.find((c) => within(c.tree, c.path) || within(stdlib, c.path));
  if (allowed) return allowed;
  if (existing.length > 0) {
    return error("E111", `included file "${item.path}" is outside the rule tree`, item.span,
      `includes resolve inside ${displayPath(tree)} (the including rule tree) or the standard library (${displayPath(rulesDir)})`);
  }
  return error("E111", `cannot find included file "${item.path}"`, item.span,
    `includes are looked up beside the including file, then in the standard library (${displayPath(rulesDir)})`);
}

/** A pipe (process substitution `<(...)`, a FIFO): what the user's own command writes. */
export function isPipe(path: string): boolean {
  try {
    return statSync(path).isFIFO();
  } catch {
    return false;
  }
}

/**
 * Parsing is most of a compile, and the standard library's files parse the same
 * every time: a process that compiles the library with other files more than
 * once (the language server, fuzzed device files, the tests) parses each of them
 * once. The result depends only on the name shown in diagnostics and the text,
 * both checked; only files of the standard library are kept, so the memo stays
 * as small as the library. The syntax trees are never modified after parsing.
 * The build saved the trees of the library and the examples too (syntax-cache.ts,
 * by text): any file, read from disk or given as text, whose text is one the
 * build parsed is read back instead of parsed.
 */
const parsedStandard = new Map<string, { name: string; text: string; parsed: ParseResult }>();
let standardDir: string | undefined;
function parseFile(name: string, full: string | undefined, text: string): ParseResult {
  const standard = full !== undefined && within((standardDir ??= realOrResolved(rulesDir)), full);
  const hit = standard ? parsedStandard.get(full) : undefined;
  if (hit && hit.name === name && hit.text === text) return hit.parsed;
  const saved = savedSyntax(name, text);
  const parsed: ParseResult = saved ? { ok: true, file: saved } : parseRules(name, text);
  if (standard) parsedStandard.set(full, { name, text, parsed });
  return parsed;
}

/** Parse files and, transitively, what they include. Each file is read once. */
export function loadRuleSet(paths: readonly string[], sources: ReadonlyMap<string, string> = new Map()): { ruleSet: RuleSet; diagnostics: Diagnostic[] } {
  const ds: Diagnostic[] = [];
  const files: A.RuleFile[] = [];
  const seen = new Set<string>();
  const visit = (path: string, tree: string, at: Span | undefined) => {
    const full = sources.has(path) ? resolve(path) : realOrResolved(path);
    if (seen.has(full)) return;
    seen.add(full);
    let text: string;
    try {
      text = sources.get(path) ?? readTextInput(path, "rules", { at });
    } catch (e) {
      if (!(e instanceof CfgvirtError)) throw e;
      ds.push(...e.diagnostics);
      return;
    }
    const parsed = sources.has(path) ? parseFile(path, undefined, text) : parseFile(displayPath(full), full, text);
    if (!parsed.ok) {
      ds.push(...parsed.diagnostics);
      return;
    }
    files.push(parsed.file);
    for (const item of parsed.file.items) {
      if (item.kind !== "include") continue;
      const found = resolveInclude(item, full, tree);
      if ("code" in found) ds.push(found);
      else visit(found.path, found.tree, item.span);
    }
  };
  for (const p of paths) {
    if (!sources.has(p) && p !== "-" && !p.endsWith(".rules") && !isPipe(p)) {
      // Checked before reading, so that an error never shows a line of a file that is not a rule file.
      // Standard input and pipes carry what the user's own command wrote, and are read.
      ds.push(error("E111", `cannot read rule file ${p}: not a rule file`, undefined, "rule files end in `.rules`"));
      continue;
    }
    visit(p, dirname(sources.has(p) ? resolve(p) : realOrResolved(p)), undefined);
  }
  const items = files.flatMap((f) => f.items);
  const blocks = registerBlocks(items);
  ds.push(...blocks.diagnostics);
  return {
    ruleSet: {
      files,
      layouts: items.filter((i): i is A.Layout => i.kind === "layout").map((l) => withBlocks(l, blocks.blocks, ds)),
      devices: items.filter((i): i is A.Device => i.kind === "device"),
      images: items.filter((i): i is A.Image => i.kind === "image"),
    },
    diagnostics: ds,
  };
}

/** The standard library's files. */
export function standardRuleFiles(): string[] {
  return rulesFilesIn(rulesDir);
}
