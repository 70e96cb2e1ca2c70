// What the language server knows about one open document: its diagnostics, and
// every layout in scope (the standard library, the document and what it
// includes), compiled the way `cfgvirt compile` does with the document's
// unsaved text in place of the file. The standard library is parsed once
// (compileRules caches it until a file changes); a keystroke re-parses only the
// document and its own includes.
import { resolve } from "node:path";
import { compileRules, compileRuleSet, loadRuleSet, type RuleSet, standardRuleFiles } from "../compile/pipeline.js";
import { CfgvirtError, type Diagnostic } from "../diag/diagnostic.js";
import type * as A from "../syntax/ast.js";
import { parseRules } from "../syntax/parse.js";

export interface Analysis {
  readonly path: string;
  readonly text: string;
  /** The document's own diagnostics (other files' are not this editor tab's). */
  readonly diagnostics: readonly Diagnostic[];
  /** Layouts by name; the standard library's even when the document does not parse. */
  readonly layouts: ReadonlyMap<string, A.Layout>;
  /** The document's parsed items, when it parses. */
  readonly items: readonly A.Item[];
}

/** The standard library as parsed, cached; when a saved standard file is broken, the files that do parse. */
function standardLibrary(): RuleSet {
  try {
    return compileRules([]).ruleSet;
  } catch (e) {
    if (!(e instanceof CfgvirtError)) throw e;
    return loadRuleSet(standardRuleFiles()).ruleSet;
  }
}

function merge(a: RuleSet, b: RuleSet): RuleSet {
  return { files: [...a.files, ...b.files], layouts: [...a.layouts, ...b.layouts], devices: [...a.devices, ...b.devices], images: [...a.images, ...b.images] };
}

/**
 * Analyse a document. `previous` is its last analysis: while an item is half
 * typed, its layouts are taken from there so that completion inside it works.
 */
export function analyse(path: string, text: string, previous?: Analysis): Analysis {
  const std = standardLibrary();
  const stdPaths = new Set(std.files.map((f) => resolve(f.path)));
  const editingStd = stdPaths.has(resolve(path));
  const loaded = loadRuleSet([path], new Map([[path, text]]));
  // The document's includes of standard files are already in `std`; an edited standard file replaces its saved self.
  const files = loaded.ruleSet.files.filter((f) => f.path === path || !stdPaths.has(resolve(f.path)));
  const kept = std.files.filter((f) => !editingStd || resolve(f.path) !== resolve(path));
  // Layouts come from the loaded rule sets (register blocks inlined), kept by the file they are in.
  const from = (set: RuleSet, fs: readonly A.RuleFile[]): RuleSet => {
    const paths = new Set(fs.map((f) => f.path));
    const mine = <T extends A.Node>(n: T) => paths.has(n.span.source.path);
    return { files: fs, layouts: set.layouts.filter(mine), devices: set.devices.filter(mine), images: set.images.filter(mine) };
  };
  const ruleSet = merge(from(std, kept), from(loaded.ruleSet, files));
  const own = (d: Diagnostic) => d.span === undefined || d.span.source.path === path;
  if (loaded.diagnostics.some((d) => d.severity === "error")) {
    // The items of the document that parse still count: hover and completion keep working while it is being typed.
    const parsed = parseRules(path, text);
    const docItems = parsed.ok ? parsed.file.items : parsed.partial.items;
    const layouts = new Map<string, A.Layout>();
    const docLayouts = docItems.filter((i): i is A.Layout => i.kind === "layout");
    for (const l of [...docLayouts, ...ruleSet.layouts, ...(previous?.layouts.values() ?? [])]) if (!layouts.has(l.name.name)) layouts.set(l.name.name, l);
    return { path, text, diagnostics: loaded.diagnostics.filter(own), layouts, items: docItems };
  }
  const docItems = files.find((f) => f.path === path)?.items ?? [];
  const { compiled, diagnostics } = compileRuleSet(ruleSet);
  return { path, text, diagnostics: diagnostics.filter(own), layouts: compiled.layoutsByName, items: docItems };
}
