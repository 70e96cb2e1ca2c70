// Read rule files and their includes into one rule set, then compile it:
// every layout lowered to a template, every device file resolved to a policy.
// All errors of the stage are collected before anything stops.
import { existsSync, readdirSync, realpathSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { CfgvirtError, error, type Diagnostic, type Span, throwIfErrors } from "../diag/diagnostic.js";
import { readTextInput } from "../io/input.js";
import { rulesDir } from "../paths.js";
import type * as A from "../syntax/ast.js";
import { parseRules } from "../syntax/parse.js";
import { applyDevice, rememberApplied } from "./apply-device.js";
import { loadStdlibCache } from "./stdlib-cache.js";
import { resolveDevice, type DevicePolicy } from "./device.js";
import { lowerLayout, sourceRef } from "./lower.js";
import type { Template } from "./template.js";

export interface RuleSet {
  readonly files: readonly A.RuleFile[];
  readonly layouts: readonly A.Layout[];
  readonly devices: readonly A.Device[];
  readonly images: readonly A.Image[];
}

export interface CompiledRules {
  readonly ruleSet: RuleSet;
  readonly templates: readonly Template[];
  readonly layoutsByName: ReadonlyMap<string, A.Layout>;
  readonly templatesByName: ReadonlyMap<string, Template>;
  readonly devices: readonly DevicePolicy[];
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
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

const within = (dir: string, path: string): boolean => path === dir || path.startsWith(dir.endsWith(sep) ? dir : dir + sep);

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
function isPipe(path: string): boolean {
  try {
    return statSync(path).isFIFO();
  } catch {
    return false;
  }
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
    const parsed = parseRules(sources.has(path) ? path : displayPath(full), text);
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
  const blocks = new Map<string, A.RegisterBlock>();
  for (const b of items) {
    if (b.kind !== "registers") continue;
    if (blocks.has(b.name.name)) ds.push(error("E104", `duplicate register block \`${b.name.name}\``, b.name.span, `the first one is at ${sourceRef(blocks.get(b.name.name)!.span).path}:${sourceRef(blocks.get(b.name.name)!.span).line}`));
    else blocks.set(b.name.name, b);
  }
  return {
    ruleSet: {
      files,
      layouts: items.filter((i): i is A.Layout => i.kind === "layout").map((l) => withBlocks(l, blocks, ds)),
      devices: items.filter((i): i is A.Device => i.kind === "device"),
      images: items.filter((i): i is A.Image => i.kind === "image"),
    },
    diagnostics: ds,
  };
}

/** A layout with the register blocks it uses inlined (`use NAME`). */
function withBlocks(layout: A.Layout, blocks: ReadonlyMap<string, A.RegisterBlock>, ds: Diagnostic[]): A.Layout {
  if (!layout.uses?.length) return layout;
  const body: A.LayoutStmt[] = [];
  for (const u of layout.uses) {
    const b = blocks.get(u.name);
    if (b) body.push(...b.body);
    else ds.push(error("E133", `no register block \`${u.name}\``, u.span, blocks.size ? `register blocks: ${[...blocks.keys()].join(", ")}` : "declare one with `registers NAME { ... }`"));
  }
  return { ...layout, body: [...body, ...layout.body] };
}

/**
 * Every capability starts with the same header: ID and next pointer (standard),
 * or ID, version and next pointer (extended); the guest sees the ID and version
 * as the device has them and a next pointer re-linked around hidden ones. A
 * layout that writes no register at 0x00 gets it from here; one that writes it
 * must write exactly that (E131), so the 31 headers cannot drift apart.
 */
function withCapabilityHeader(layout: A.Layout, ds: Diagnostic[]): A.Layout {
  if (layout.layoutKind === "header") return layout;
  const std = layout.layoutKind === "capability";
  const at = layout.name.span;
  const policy = (p: "pass" | "next"): A.Policy => (p === "pass" ? { kind: "pass", span: at } : { kind: "emulate", init: { kind: "link", link: "next" }, span: at });
  const field = (hi: number, lo: number, name: string, p: "pass" | "next"): A.Field =>
    ({ hi, lo, bitsSpan: at, name, nameSpan: at, attribute: "RO", attributeSpan: at, policy: policy(p), span: at });
  const standard: A.Register = {
    kind: "register",
    name: { name: "header", span: at },
    offset: { value: 0, span: at },
    width: std ? 16 : 32,
    fields: std ? [field(7, 0, "id", "pass"), field(15, 8, "next", "next")] : [field(15, 0, "id", "pass"), field(19, 16, "version", "pass"), field(31, 20, "next", "next")],
    span: at,
  };
  const written = layout.body.find((s): s is A.Register => s.kind === "register" && s.offset.value === 0);
  if (!written) return { ...layout, body: [standard, ...layout.body] };
  const shape = (r: A.Register) =>
    `${r.name.name} u${r.width} ${r.fields.map((f) => `[${f.hi}:${f.lo}] ${f.name ?? "-"} ${f.attribute} ${f.policy.kind}${f.policy.kind === "emulate" && f.policy.init.kind === "link" ? `(${f.policy.init.link})` : ""}`).join("; ")}`;
  if (shape(written) !== shape(standard)) {
    ds.push(error("E131", `the ${std ? "capability" : "extended capability"} header of ${layout.name.name} differs from the standard one`, written.span,
      `leave it out (the compiler writes it), or write: ${shape(standard).replace(/^header u(\d+) /, "register header @ 0x00 u$1 { ")} }`));
  }
  return layout;
}

/** Lower every layout and resolve every device file. */
export function compileRuleSet(ruleSet: RuleSet): { compiled: CompiledRules; diagnostics: Diagnostic[] } {
  const ds: Diagnostic[] = [];
  const layoutsByName = new Map<string, A.Layout>();
  const byId = new Map<string, A.Layout>();
  for (const written of ruleSet.layouts) {
    const layout = withCapabilityHeader(written, ds);
    const prev = layoutsByName.get(layout.name.name);
    if (prev) {
      ds.push(error("E104", `duplicate layout name \`${layout.name.name}\``, layout.name.span, `the first one is at ${fmtRef(prev)}`));
      continue;
    }
    const ids = [layout.id, ...(layout.otherIds ?? [])];
    const clash = ids.find((id) => byId.has(`${layout.layoutKind}:${id.value}`));
    if (clash) {
      const sameId = byId.get(`${layout.layoutKind}:${clash.value}`)!;
      ds.push(error("E104", `${layout.layoutKind} ID 0x${clash.value.toString(16)} is already described by \`${sameId.name.name}\``, clash.span,
        `the first one is at ${fmtRef(sameId)}; one layout per ID`));
      continue;
    }
    layoutsByName.set(layout.name.name, layout);
    for (const id of ids) byId.set(`${layout.layoutKind}:${id.value}`, layout);
  }
  const templates: Template[] = [];
  for (const layout of layoutsByName.values()) {
    const { template, diagnostics } = lowerLayout(layout, new Map(), layoutsByName);
    templates.push(template);
    ds.push(...diagnostics);
  }
  const templatesByName = new Map(templates.map((t) => [t.name, t]));
  const devices: DevicePolicy[] = [];
  const compiled: CompiledRules = { ruleSet, templates, layoutsByName, templatesByName, devices };
  for (const device of ruleSet.devices) {
    const resolved = resolveDevice(device, layoutsByName);
    ds.push(...resolved.diagnostics);
    // Device files are validated and applied here, at compile time, like layouts.
    const { applied, diagnostics } = applyDevice(compiled, resolved.policy);
    ds.push(...diagnostics);
    rememberApplied(compiled, applied);
    devices.push(resolved.policy);
  }
  return { compiled, diagnostics: sortDiagnostics(ds) };
}

/** File order, then position: a stage's errors read top to bottom. */
function sortDiagnostics(ds: Diagnostic[]): Diagnostic[] {
  return ds
    .map((d, i) => ({ d, i }))
    .sort((a, b) => {
      const pa = a.d.span?.source.path ?? "";
      const pb = b.d.span?.source.path ?? "";
      if (pa !== pb) return a.i - b.i;
      return (a.d.span?.start ?? 0) - (b.d.span?.start ?? 0) || a.i - b.i;
    })
    .map((x) => x.d);
}

function fmtRef(layout: A.Layout): string {
  const r = sourceRef(layout.span);
  return `${r.path}:${r.line}`;
}

/** The standard library's files. */
export function standardRuleFiles(): string[] {
  return rulesFilesIn(rulesDir);
}

/**
 * Load and compile the standard library plus extra files; throws a CfgvirtError
 * carrying every diagnostic when anything is wrong.
 */
export function compileRules(extraPaths: readonly string[] = [], opts: { standard?: boolean; sources?: ReadonlyMap<string, string> } = {}): CompiledRules {
  if (extraPaths.length === 0 && opts.standard !== false && !opts.sources) {
    // The standard library alone: precompiled when the build left a cache that matches.
    if (precompiled === undefined) precompiled = loadStdlibCache(compileStandardFromSource) ?? null;
    if (precompiled) return precompiled;
  }
  const paths = [...(opts.standard === false ? [] : standardRuleFiles()), ...extraPaths];
  // Compiling is pure in the files' contents: reuse a result while none of the
  // files it read (includes too) has changed.
  const key = opts.sources || paths.some((p) => p === "-" || isPipe(p)) ? undefined : paths.map((p) => resolve(p)).join("|");
  const hit = key !== undefined ? cache.get(key) : undefined;
  if (hit && hit.stamps.every(([p, t]) => stamp(p) === t)) return hit.compiled;
  const compiled = compileUncached(paths, opts.sources);
  if (key !== undefined) cache.set(key, { compiled, stamps: compiled.ruleSet.files.map((f) => [f.path, stamp(f.path)] as const) });
  return compiled;
}

const cache = new Map<string, { compiled: CompiledRules; stamps: readonly (readonly [string, number])[] }>();
let precompiled: CompiledRules | null | undefined;

/** The standard library compiled from its rule files, never from the cache (the build writes the cache from this). */
export function compileStandardFromSource(): CompiledRules {
  return compileUncached(standardRuleFiles(), undefined);
}
const stamp = (path: string): number => (existsSync(path) ? statSync(path).mtimeMs : -1);

function compileUncached(paths: readonly string[], sources: ReadonlyMap<string, string> | undefined): CompiledRules {
  const opts = { sources };
  const loaded = loadRuleSet(paths, opts.sources);
  throwIfErrors(loaded.diagnostics);
  const { compiled, diagnostics } = compileRuleSet(loaded.ruleSet);
  throwIfErrors(diagnostics);
  return compiled;
}

/** Compile rule text held in memory (tests, tools), with the standard library unless told otherwise. */
export function compileRuleText(path: string, text: string, opts: { standard?: boolean } = {}): CompiledRules {
  return compileRules([path], { ...opts, sources: new Map([[path, text]]) });
}

