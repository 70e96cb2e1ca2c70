// Compiled rules as one JSON document (schema.ts) and back. The document holds
// what attach and the warnings need, so that it is attachable as it is:
// templates (field names, guards and sizes by name, docs), each device file's
// policy with the templates its overrides changed and every layout's
// visibility, and the rule warnings found when it compiled. It holds no
// syntax: what needs the syntax trees (the reference interpreter, docs)
// needs the rule files.
import { resolve } from "node:path";
import { CfgvirtError, type Diagnostic, error, SourceFile, type Span, warning } from "../diag/diagnostic.js";
import { readTextInput } from "../io/input.js";
import { rulesDir } from "../paths.js";
import type * as A from "../syntax/ast.js";
import { appliedDevice, rememberApplied } from "./apply/device.js";
import type { DevicePolicy } from "./resolve/device.js";
import { within } from "./resolve/files.js";
import type { CompiledRules, RuleSet } from "./pipeline.js";
import { COMPILED_FORMAT, type CompiledJson, type DeviceJson, type SpanJson, validateCompiledJson, type WarningJson } from "./schema.js";
import type { Template } from "./template.js";

/** What the warnings need of a device file (runtime/warnings.ts). */
export interface DeviceFileFacts {
  /** Where the device file starts. */
  readonly span: Span;
  /** Its statements' kinds (override, ids, bar, pass, ...), once each, in file order. */
  readonly statementKinds: readonly string[];
  /** Set when the rules came from JSON: the file was the standard library's (else the user's own). */
  readonly standard?: boolean;
}

/** Facts the syntax would give, for rules that came from JSON. */
const stored = new WeakMap<CompiledRules, { readonly devices: readonly DeviceFileFacts[]; readonly warnings: readonly Diagnostic[] }>();

const statementKinds = (d: A.Device): string[] => [...new Set(d.stmts.map((s) => (s.kind === "passBytes" ? "pass" : s.kind)))];

export function deviceFileFacts(compiled: CompiledRules, index: number): DeviceFileFacts {
  const facts = stored.get(compiled)?.devices[index];
  if (facts) return facts;
  const d = compiled.ruleSet.devices[index];
  return { span: d.span, statementKinds: statementKinds(d) };
}

/** The rule warnings recorded when JSON-loaded rules compiled; undefined for rules compiled here. */
export function storedRuleWarnings(compiled: CompiledRules): readonly Diagnostic[] | undefined {
  return stored.get(compiled)?.warnings;
}

/** A span as the document holds it: its line's text, not the file. */
function spanToJson(span: Span): SpanJson {
  const { line, col } = span.source.position(span.start);
  const text = span.source.lineText(line);
  return { path: span.source.path, line, col, length: Math.max(1, Math.min(span.end - span.start, text.length - col + 1)), text };
}

/** A span over a file we hold only one line of. */
function spanFromJson(at: SpanJson): Span {
  const source = new SourceFile(at.path, "\n".repeat(at.line - 1) + at.text);
  const start = at.line - 1 + at.col - 1;
  return { source, start, end: start + at.length };
}

function warningToJson(d: Diagnostic): WarningJson {
  return { code: d.code, message: d.message, ...(d.help !== undefined ? { help: d.help } : {}), ...(d.span ? { at: spanToJson(d.span) } : {}) };
}

const warningFromJson = (w: WarningJson): Diagnostic => warning(w.code, w.message, w.at && spanFromJson(w.at), w.help);

const plain = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

const inStandardLibrary = (path: string): boolean => within(resolve(rulesDir), resolve(path));

/** The JSON document of compiled rules; `warnings` are their rule warnings (compile/warnings.ts). */
export function compiledToJson(compiled: CompiledRules, warnings: readonly Diagnostic[]): CompiledJson {
  return {
    format: COMPILED_FORMAT,
    templates: plain(compiled.templates) as Template[],
    devices: compiled.devices.map((p, i): DeviceJson => {
      const applied = appliedDevice(compiled, p);
      const facts = deviceFileFacts(compiled, i);
      return {
        name: p.name,
        source: { path: p.source.path, line: p.source.line },
        standard: facts.standard ?? inStandardLibrary(facts.span.source.path),
        at: spanToJson(facts.span),
        matches: p.matches.map(({ span: _span, ...m }) => plain(m)),
        allow: [...p.allow],
        hide: [...p.hide],
        barSizes: Array.from(p.barSizes, (s) => s ?? null),
        ...(p.romSize !== undefined ? { romSize: p.romSize } : {}),
        passBytes: p.passBytes.map((r) => ({ first: r.first, last: r.last, attribute: r.attribute })),
        permissive: p.permissive,
        reassign: p.reassign,
        statements: [...facts.statementKinds],
        overridden: plain([...applied.templates.values()].filter((t) => compiled.templatesByName.get(t.name) !== t)),
        visibility: [...applied.visibility].map(([name, v]) => [name, { visible: v.visible, reason: v.reason }]),
      };
    }),
    warnings: warnings.map(warningToJson),
  };
}

/**
 * Compiled rules from their (validated) document. `syntax` is called only when
 * something asks for what the document does not hold (the rule set, the
 * layouts' syntax, a device file's override statements).
 */
export function compiledFromJson(data: CompiledJson, fromSource: () => CompiledRules): CompiledRules {
  let compiledFromSource: CompiledRules | undefined;
  const syntax = () => (compiledFromSource ??= fromSource());
  const templates: readonly Template[] = data.templates;
  const templatesByName = new Map(templates.map((t) => [t.name, t]));
  const devices: DevicePolicy[] = data.devices.map((d, i) => ({
    name: d.name,
    source: d.source,
    matches: d.matches.map((m) => ({ ...m, span: spanFromJson(d.at) }) as A.Match),
    allow: new Set(d.allow),
    hide: new Set(d.hide),
    // The override statements are syntax: asked for (the reference interpreter does), they come from the source.
    get overrides() {
      return syntax().devices[i].overrides;
    },
    barSizes: d.barSizes.map((s) => s ?? undefined),
    romSize: d.romSize,
    passBytes: d.passBytes,
    permissive: d.permissive,
    reassign: d.reassign,
  }));
  const compiled: CompiledRules = {
    get ruleSet(): RuleSet {
      return syntax().ruleSet;
    },
    get layoutsByName(): ReadonlyMap<string, A.Layout> {
      return syntax().layoutsByName;
    },
    templates,
    templatesByName,
    devices,
  };
  data.devices.forEach((d, i) => {
    const own = new Map(templatesByName);
    for (const t of d.overridden) own.set(t.name, t);
    rememberApplied(compiled, { policy: devices[i], templates: own, visibility: new Map(d.visibility) });
  });
  stored.set(compiled, {
    devices: data.devices.map((d) => ({
      span: spanFromJson(d.at),
      statementKinds: d.statements,
      standard: d.standard,
    })),
    warnings: data.warnings.map(warningFromJson),
  });
  return compiled;
}

/** Whether a rule input names compiled JSON rather than rule files. */
export const isCompiledJsonPath = (path: string): boolean => path.toLowerCase().endsWith(".json");

/**
 * Compiled rules from a file `cfgvirt compile --json` wrote: validated by the
 * zod schema (positioned J001/J002 errors), and attachable as they are.
 */
export function readCompiledRules(path: string): CompiledRules {
  const data = validateCompiledJson(path, readTextInput(path, "json"));
  return compiledFromJson(data, () => {
    throw new CfgvirtError([
      error("J003", `${path} holds compiled rules, without the rule files' syntax that this needs`, undefined,
        "give the .rules files (or a directory of them) instead of the compiled JSON"),
    ]);
  });
}
