// The compiler's driver: rule files in, compiled rules out, through the
// stages in resolve/, validate/, lower/ and apply/ (parsing is src/syntax/).
// Results are cached while the files they read are unchanged, and the
// standard library alone comes precompiled from the build.
import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { CfgvirtError, type Diagnostic, error, throwIfErrors } from "../diag/diagnostic.js";
import type * as A from "../syntax/ast.js";
import { applyDevice, rememberApplied } from "./apply/device.js";
import { resolveDevice, type DevicePolicy } from "./resolve/device.js";
import { isPipe, loadRuleSet, type RuleSet, standardRuleFiles } from "./resolve/files.js";
import { indexLayouts } from "./resolve/layouts.js";
import { isCompiledJsonPath, readCompiledRules } from "./compiled-json.js";
import { loadStdlibCache } from "./stdlib-cache.js";
import type { Template } from "./template.js";
import { validateDevice } from "./validate/device.js";
import { validateAndLower } from "./layout-stages.js";

export { loadRuleSet, standardRuleFiles, rulesFilesIn, type RuleSet } from "./resolve/files.js";

export interface CompiledRules {
  readonly ruleSet: RuleSet;
  readonly templates: readonly Template[];
  readonly layoutsByName: ReadonlyMap<string, A.Layout>;
  readonly templatesByName: ReadonlyMap<string, Template>;
  readonly devices: readonly DevicePolicy[];
}

/**
 * The compile stages after parsing, in order: resolve (layout names and IDs,
 * capability headers, device files' names), validate (every check, on layouts
 * and device files alike, all errors collected), lower (pure), and apply each
 * device file (pure). Stages after a failing one still run, so that an editor
 * gets layouts and templates to work with; callers that attach stop on errors.
 */
export function compileRuleSet(ruleSet: RuleSet): { compiled: CompiledRules; diagnostics: Diagnostic[] } {
  // Resolve.
  const { layoutsByName, diagnostics: ds } = indexLayouts(ruleSet.layouts);
  const resolvedDevices = ruleSet.devices.map((device) => ({ device, ...resolveDevice(device, layoutsByName) }));
  for (const r of resolvedDevices) ds.push(...r.diagnostics);
  // Validate and lower each layout (reused while the layout and those it names are unchanged), then validate the device files.
  const stages = [...layoutsByName.values()].map((layout) => validateAndLower(layout, layoutsByName));
  for (const s of stages) ds.push(...s.diagnostics);
  for (const r of resolvedDevices) ds.push(...validateDevice(r.device, r.policy, layoutsByName));
  const templates = stages.map((s) => s.template);
  const templatesByName = new Map(templates.map((t) => [t.name, t]));
  // Apply: device files at compile time, like layouts.
  const devices = resolvedDevices.map((r) => r.policy);
  const compiled: CompiledRules = { ruleSet, templates, layoutsByName, templatesByName, devices };
  for (const policy of devices) rememberApplied(compiled, applyDevice(compiled, policy));
  return { compiled, diagnostics: sortDiagnostics(ds) };
}

/** One device file resolved and validated against compiled layouts (library callers, the fuzzer). */
export function compileDevice(device: A.Device, layoutsByName: ReadonlyMap<string, A.Layout>): { policy: DevicePolicy; diagnostics: Diagnostic[] } {
  const { policy, diagnostics } = resolveDevice(device, layoutsByName);
  return { policy, diagnostics: [...diagnostics, ...validateDevice(device, policy, layoutsByName)] };
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

/**
 * Load and compile the standard library plus extra files; throws a CfgvirtError
 * carrying every diagnostic when anything is wrong.
 */
export function compileRules(extraPaths: readonly string[] = [], opts: { standard?: boolean; sources?: ReadonlyMap<string, string> } = {}): CompiledRules {
  // Rules compiled before (`cfgvirt compile --json`) are the whole rule set, and attach as they are.
  if (extraPaths.some(isCompiledJsonPath)) return compiledJsonRules(extraPaths);
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

function compiledJsonRules(paths: readonly string[]): CompiledRules {
  if (paths.length > 1) {
    throw new CfgvirtError([error("J004", `${paths.find(isCompiledJsonPath)} holds a whole compiled rule set; it cannot be combined with ${paths.filter((p) => !isCompiledJsonPath(p)).join(", ") || "another one"}`, undefined,
      "compile every rule file into one JSON (`cfgvirt compile --json a.rules b.rules > all.json`), or give the .rules files")]);
  }
  const key = `json:${resolve(paths[0])}`;
  const hit = isPipe(paths[0]) ? undefined : cache.get(key);
  if (hit && hit.stamps.every(([p, t]) => stamp(p) === t)) return hit.compiled;
  const compiled = readCompiledRules(paths[0]);
  if (!isPipe(paths[0])) cache.set(key, { compiled, stamps: [[paths[0], stamp(paths[0])]] });
  return compiled;
}
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

