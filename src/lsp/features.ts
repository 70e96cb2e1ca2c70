// Hover, go-to-definition and completion over one analysed document. Plain
// functions of (analysis, offset): the server only converts positions.
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { registersOf } from "../compile/syntax-walk.js";
import { HOOKS, isHookName, LINKS } from "../compile/vocabulary.js";
import type { Span } from "../diag/diagnostic.js";
import { rulesDir } from "../paths.js";
import { ATTRIBUTES, type Attribute } from "../syntax/ast.js";
import type * as A from "../syntax/ast.js";
import type { Analysis } from "./analysis.js";
import { ATTRIBUTE_DOCS, HIDE_STATEMENT_DOC, KEYWORD_DOCS, PASS_STATEMENT_DOC, POLICY_DOCS } from "./vocabulary-docs.js";

export interface Hover {
  readonly markdown: string;
  readonly start: number;
  readonly end: number;
}

/** A place in a file: the file's absolute path and a character range. */
export interface Target {
  readonly path: string;
  readonly start: number;
  readonly end: number;
}

export type CompletionKind = "layout" | "register" | "field" | "hook" | "attribute" | "policy";

export interface Completion {
  readonly label: string;
  readonly kind: CompletionKind;
  readonly detail?: string;
  readonly documentation?: string;
}

const isIdent = (c: string | undefined) => c !== undefined && /[A-Za-z0-9_]/.test(c);
const isAttribute = (w: string): w is Attribute => (ATTRIBUTES as readonly string[]).includes(w);
const POLICIES = ["pass", "emulate", "hide", "trap"];

/** The dotted name under the cursor (`pcie.device_control.max_payload`), and which part the cursor is on. */
function pathAt(text: string, offset: number): { parts: string[]; index: number; start: number; end: number; partStart: number; partEnd: number } | undefined {
  const isPathChar = (c: string | undefined) => isIdent(c) || c === ".";
  if (!isIdent(text[offset]) && !isIdent(text[offset - 1])) return undefined;
  let start = offset;
  while (start > 0 && isPathChar(text[start - 1])) start--;
  let end = offset;
  while (isPathChar(text[end])) end++;
  let partStart = offset;
  while (partStart > start && isIdent(text[partStart - 1])) partStart--;
  let partEnd = offset;
  while (isIdent(text[partEnd])) partEnd++;
  const before = text.slice(start, partStart);
  return { parts: text.slice(start, end).split("."), index: before.split(".").length - 1, start, end, partStart, partEnd };
}

function lineBefore(text: string, offset: number): string {
  return text.slice(text.lastIndexOf("\n", offset - 1) + 1, offset);
}

/**
 * The item the offset is in, read from the text (so it works while the file does
 * not parse): a top-level item, or inside an image the layout block it fills.
 */
function enclosingItem(text: string, offset: number): { kind: string; name: string | undefined } | undefined {
  const head = /^(include|header|capability|extended|device|image|registers)\b[ \t]*([A-Za-z_]\w*)?/gm;
  let found: { kind: string; name: string | undefined; at: number } | undefined;
  for (const m of text.slice(0, offset).matchAll(head)) found = { kind: m[1], name: m[2], at: m.index ?? 0 };
  if (found?.kind !== "image") return found;
  let block: { kind: string; name: string | undefined } | undefined = found;
  for (const m of text.slice(found.at, offset).matchAll(/^[ \t]+(header|capability|extended)[ \t]+([A-Za-z_]\w*)/gm)) block = { kind: m[1], name: m[2] };
  return block;
}

/** `#` comment lines right above a line, and a comment at its end: the rule's rationale. */
function commentsAt(span: Span): string {
  const { source } = span;
  const { line } = source.position(span.start);
  const above: string[] = [];
  for (let n = line - 1; n >= 1; n--) {
    const t = source.lineText(n).trim();
    if (!t.startsWith("#")) break;
    above.unshift(t.replace(/^#+ ?/, ""));
  }
  const own = /#\s*(.*)$/.exec(source.lineText(line).replace(/"[^"\n]*"/g, '""'))?.[1];
  return [...above, ...(own ? [own] : [])].join("\n");
}

function where(span: Span): string {
  const { line } = span.source.position(span.start);
  return `${span.source.path}:${line}`;
}

type Resolved =
  | { readonly kind: "layout"; readonly layout: A.Layout }
  | { readonly kind: "register"; readonly layout: A.Layout; readonly register: A.Register }
  | { readonly kind: "field"; readonly layout: A.Layout; readonly register: A.Register; readonly field: A.Field };

/** LAYOUT.REGISTER.FIELD, or REGISTER.FIELD inside a layout, up to the part the cursor is on. */
function resolveParts(analysis: Analysis, parts: readonly string[], index: number, inLayout: string | undefined): Resolved | undefined {
  const here = inLayout ? analysis.layouts.get(inLayout) : undefined;
  // Inside a layout, REGISTER.FIELD is its own; elsewhere the first part names a layout.
  const relative = here !== undefined && registersOf(here.body).some((r) => r.name.name === parts[0]);
  const layout = relative ? here : analysis.layouts.get(parts[0]);
  const rest = relative ? parts : parts.slice(1);
  const at = relative ? index : index - 1;
  if (!layout) return undefined;
  if (at < 0) return { kind: "layout", layout };
  const register = registersOf(layout.body).find((r) => r.name.name === rest[0]);
  if (!register) return undefined;
  if (at === 0) return { kind: "register", layout, register };
  const field = register.fields.find((f) => f.name === rest[1]);
  return field && at === 1 ? { kind: "field", layout, register, field } : undefined;
}

/** A definition in the document itself under the cursor: a layout, register or field name. */
function definitionAt(analysis: Analysis, offset: number): Resolved | undefined {
  const inside = (s: Span) => s.start <= offset && offset <= s.end;
  for (const item of analysis.items) {
    if (item.kind === "registers" && item.span.start <= offset && offset <= item.span.end) return blockDefinitionAt(analysis, item, offset);
    if (item.kind !== "layout" || !(item.span.start <= offset && offset <= item.span.end)) continue;
    if (inside(item.name.span)) return { kind: "layout", layout: item };
    for (const register of registersOf(item.body)) {
      if (inside(register.name.span)) return { kind: "register", layout: item, register };
      for (const field of register.fields) if (field.name && inside(field.nameSpan)) return { kind: "field", layout: item, register, field };
    }
  }
  return undefined;
}

/** A register or field of a `registers` block, seen through the first layout that uses the block. */
function blockDefinitionAt(analysis: Analysis, block: A.RegisterBlock, offset: number): Resolved | undefined {
  const inside = (s: Span) => s.start <= offset && offset <= s.end;
  for (const register of registersOf(block.body)) {
    const layout = [...analysis.layouts.values()].find((l) => registersOf(l.body).includes(register));
    if (!layout) return undefined;
    if (inside(register.name.span)) return { kind: "register", layout, register };
    for (const field of register.fields) if (field.name && inside(field.nameSpan)) return { kind: "field", layout, register, field };
  }
  return undefined;
}

function resolveAt(analysis: Analysis, offset: number): { resolved: Resolved; start: number; end: number } | undefined {
  const path = pathAt(analysis.text, offset);
  if (!path) return undefined;
  const own = definitionAt(analysis, offset);
  if (own) return { resolved: own, start: path.partStart, end: path.partEnd };
  const item = enclosingItem(analysis.text, offset);
  const inLayout = item && ["header", "capability", "extended"].includes(item.kind) ? item.name : undefined;
  const resolved = resolveParts(analysis, path.parts, path.index, inLayout);
  return resolved ? { resolved, start: path.partStart, end: path.partEnd } : undefined;
}

function policyText(p: A.Policy): string {
  return p.span.source.text.slice(p.span.start, p.span.end);
}

function describe(r: Resolved): string {
  const l = r.layout;
  const id = l.layoutKind === "header" ? `type ${l.id.value}` : `ID 0x${l.id.value.toString(16).padStart(l.layoutKind === "extended" ? 4 : 2, "0")}`;
  const spec = l.spec ? `\n\nSpec: ${l.spec}` : "";
  if (r.kind === "layout") {
    const hidden = l.hiddenReason ? `\n\nHidden unless a device file allows it: ${l.hiddenReason}` : "";
    const doc = commentsAt(l.span);
    return `**${l.layoutKind}** \`${l.name.name}\` (${id})${spec}${hidden}${doc ? `\n\n${doc}` : ""}\n\n${where(l.name.span)}`;
  }
  const reg = r.register;
  if (r.kind === "register") {
    const rows = reg.fields.map((f) => `| [${f.hi === f.lo ? f.hi : `${f.hi}:${f.lo}`}] | ${f.name ?? "-"} | ${f.attribute} | ${policyText(f.policy)} |`);
    const doc = commentsAt(reg.span);
    return [
      `**register** \`${l.name.name}.${reg.name.name}\` @ 0x${reg.offset.value.toString(16).padStart(2, "0")}, u${reg.width} (${l.layoutKind} ${id})${spec}`,
      ...(doc ? [doc] : []),
      ["| bits | field | attribute | policy |", "| --- | --- | --- | --- |", ...rows].join("\n"),
      where(reg.name.span),
    ].join("\n\n");
  }
  const f = r.field;
  const policy = policyText(f.policy);
  const hook = f.policy.kind === "trap" && isHookName(f.policy.hook.name) ? `\n\nHook \`${f.policy.hook.name}\`: ${HOOKS[f.policy.hook.name]}` : "";
  const doc = commentsAt(f.span);
  return [
    `**field** \`${l.name.name}.${reg.name.name}.${f.name}\` [${f.hi === f.lo ? f.hi : `${f.hi}:${f.lo}`}] of a u${reg.width} @ 0x${reg.offset.value.toString(16).padStart(2, "0")}: \`${f.attribute}\` \`${policy}\`${spec}`,
    `${f.attribute}: ${ATTRIBUTE_DOCS[f.attribute]}`,
    `${POLICY_DOCS[f.policy.kind]}${hook}`,
    ...(doc ? [doc] : []),
    where(f.nameSpan),
  ].join("\n\n");
}

/** Hover: what a word means (attribute, policy, hook, keyword) or what a name refers to (layout, register, field with its spec and comments). */
export function hover(analysis: Analysis, offset: number): Hover | undefined {
  const { text } = analysis;
  const path = pathAt(text, offset);
  if (!path) return undefined;
  const word = text.slice(path.partStart, path.partEnd);
  const range = { start: path.partStart, end: path.partEnd };
  const before = lineBefore(text, path.partStart).trimEnd();
  const prevWord = /([A-Za-z_]\w*|[\])])$/.exec(before)?.[1] ?? "";
  if (path.parts.length === 1) {
    if (isAttribute(word)) return { markdown: `**${word}**: ${ATTRIBUTE_DOCS[word]}`, ...range };
    if (/\btrap\s*\(\s*$/.test(before) && isHookName(word)) return { markdown: `**hook** \`${word}\`: ${HOOKS[word]}`, ...range };
    if (Object.prototype.hasOwnProperty.call(LINKS, word) && /\(\s*$|,\s*$/.test(before)) {
      return { markdown: `**${word}**: ${LINKS[word as keyof typeof LINKS]}`, ...range };
    }
    const policyPlace = isAttribute(prevWord) || /\boverride\s+[\w.]+$/.test(before);
    if (POLICIES.includes(word) && (policyPlace || word === "emulate" || word === "trap")) return { markdown: POLICY_DOCS[word], ...range };
    if (word === "hide" && /^\s*$/.test(before)) return { markdown: HIDE_STATEMENT_DOC, ...range };
    if (word === "pass" && /^\s*$/.test(before)) return { markdown: PASS_STATEMENT_DOC, ...range };
    if (Object.prototype.hasOwnProperty.call(KEYWORD_DOCS, word) && (/^\s*$/.test(before) || /\}\s*else\s*$/.test(before) || word === "when")) {
      return { markdown: KEYWORD_DOCS[word], ...range };
    }
  }
  const found = resolveAt(analysis, offset);
  return found ? { markdown: describe(found.resolved), start: found.start, end: found.end } : undefined;
}

/** The file an `include` on this line names, resolved as the compiler does. */
function includeTarget(analysis: Analysis, offset: number): string | undefined {
  const ls = analysis.text.lastIndexOf("\n", offset - 1) + 1;
  const le = analysis.text.indexOf("\n", offset);
  const m = /^\s*include\s+"([^"\n]*)"/.exec(analysis.text.slice(ls, le < 0 ? undefined : le));
  if (!m) return undefined;
  return [resolve(dirname(analysis.path), m[1]), resolve(rulesDir, m[1])].find((c) => existsSync(c));
}

/** Go to definition: an include's file, or the layout, register or field a name refers to. */
export function definition(analysis: Analysis, offset: number): Target | undefined {
  const file = includeTarget(analysis, offset);
  if (file) return { path: file, start: 0, end: 0 };
  const found = resolveAt(analysis, offset);
  if (!found) return undefined;
  const r = found.resolved;
  const span = r.kind === "layout" ? r.layout.name.span : r.kind === "register" ? r.register.name.span : r.field.nameSpan;
  return { path: resolve(span.source.path), start: span.start, end: span.end };
}

function layoutItems(analysis: Analysis, filter: (l: A.Layout) => boolean): Completion[] {
  return [...analysis.layouts.values()].filter(filter).map((l) => ({
    label: l.name.name,
    kind: "layout" as const,
    detail: `${l.layoutKind} ${l.layoutKind === "header" ? `type ${l.id.value}` : `id 0x${l.id.value.toString(16)}`}`,
    documentation: l.spec,
  }));
}

function registerItems(layout: A.Layout): Completion[] {
  const seen = new Set<string>();
  return registersOf(layout.body)
    .filter((r) => !seen.has(r.name.name) && seen.add(r.name.name))
    .map((r) => ({ label: r.name.name, kind: "register" as const, detail: `@ 0x${r.offset.value.toString(16)} u${r.width}` }));
}

function fieldItems(layout: A.Layout, register: string): Completion[] {
  const seen = new Set<string>();
  return registersOf(layout.body)
    .filter((r) => r.name.name === register)
    .flatMap((r) => r.fields)
    .filter((f): f is A.Field & { name: string } => f.name !== undefined && !seen.has(f.name) && !!seen.add(f.name))
    .map((f) => ({ label: f.name, kind: "field" as const, detail: `[${f.hi === f.lo ? f.hi : `${f.hi}:${f.lo}`}] ${f.attribute} ${policyText(f.policy)}` }));
}

/** Completions for a dotted path being typed: layouts, then registers, then fields. */
function pathItems(analysis: Analysis, typed: string, inLayout: string | undefined): Completion[] {
  const parts = typed.split(".");
  const done = parts.slice(0, -1);
  if (done.length === 0) {
    const here = inLayout ? analysis.layouts.get(inLayout) : undefined;
    return [...(here ? registerItems(here) : []), ...layoutItems(analysis, () => true)];
  }
  const layout = analysis.layouts.get(done[0]);
  if (layout && done.length === 1) return registerItems(layout);
  if (layout && done.length === 2) return fieldItems(layout, done[1]);
  const here = inLayout ? analysis.layouts.get(inLayout) : undefined;
  if (here && done.length === 1) return fieldItems(here, done[0]);
  return [];
}

/** Completion at the cursor: field paths in `override` and guards, capabilities in allow/hide, hooks, attributes, policies. */
export function complete(analysis: Analysis, offset: number): Completion[] {
  const before = lineBefore(analysis.text, offset);
  const item = enclosingItem(analysis.text, offset);
  const inLayout = item && ["header", "capability", "extended"].includes(item.kind) ? item.name : undefined;
  let m: RegExpExecArray | null;
  if ((m = /^\s*override\s+([\w.]*)$/.exec(before))) return pathItems(analysis, m[1], undefined);
  if (item?.kind === "device" && /^\s*(allow|hide)\s+(?:\w+\s*,\s*)*\w*$/.test(before)) return layoutItems(analysis, (l) => l.layoutKind !== "header");
  if (/\btrap\s*\(\s*\w*$/.test(before)) return Object.entries(HOOKS).map(([label, doc]) => ({ label, kind: "hook" as const, documentation: doc }));
  if ((m = /(?:\bwhen|&&|\|\||!|\(|\bfrom)\s*([\w.]*)$/.exec(before)) && inLayout) return pathItems(analysis, m[1], inLayout);
  if (/^\s*\[[\d:\s]+\]\s+[\w-]+\s+\w*$/.test(before) || /^\s*rest\s+\w*$/.test(before)) {
    return ATTRIBUTES.map((a) => ({ label: a, kind: "attribute" as const, documentation: ATTRIBUTE_DOCS[a] }));
  }
  if ((m = /\b(\w+)\s+\w*$/.exec(before)) && (isAttribute(m[1]) || /^\s*override\s+[\w.]+\s+\w*$/.test(before))) {
    return POLICIES.map((p) => ({ label: p, kind: "policy" as const, documentation: POLICY_DOCS[p] }));
  }
  return [];
}
