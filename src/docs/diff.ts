// `cfgvirt diff A B`: every bit whose spec attribute or guest policy differs,
// between two devices (dumps or example device files, attached to their rules)
// or between two versions of a rule set (rule files or directories), grouped
// by register. Rendered as text and as one self-contained HTML page.
import { existsSync, statSync } from "node:fs";
import { type CompiledRules, compileRules, rulesFilesIn } from "../compile/pipeline.js";
import { appliedDevice } from "../compile/apply/device.js";
import type { Template } from "../compile/template.js";
import { CfgvirtError } from "../diag/diagnostic.js";
import { openDevice } from "../open-device.js";
import { esc, STYLE } from "./diagram.js";
import { bitsLabel, type Category, categoryOf, deviceDoc, guardText, hex, layoutIdent, policyDoc, policyText } from "./model.js";
import { docPath, hashByDocPath } from "./paths.js";

/** What one bit is on one side. */
interface BitState {
  /** Register (or region) the bit belongs to, as shown in group titles. */
  readonly where: string;
  /** Byte offset of that register: absolute on devices, relative in rule sets. */
  readonly base: number;
  readonly field: string;
  readonly attribute: string;
  readonly policy: string;
  readonly category: Category | "absent";
}

export interface DiffLine {
  readonly bits: string;
  readonly a: BitState | undefined;
  readonly b: BitState | undefined;
  readonly count: number;
}

export interface DiffGroup {
  readonly title: string;
  readonly lines: readonly DiffLine[];
}

export interface DiffResult {
  readonly kind: "devices" | "rules";
  readonly a: string;
  readonly b: string;
  readonly hashA: string;
  readonly hashB: string;
  readonly notes: readonly string[];
  readonly groups: readonly DiffGroup[];
  /** Bits that differ. */
  readonly bits: number;
}

type Side =
  | { readonly kind: "device"; readonly path: string }
  | { readonly kind: "rules"; readonly path: string; readonly files: readonly string[] };

/** A directory or a rule file without an `image` is a rule set; anything else is a device. */
export function classifyInput(path: string): Side {
  if (!existsSync(path)) throw new CfgvirtError([{ code: "E111", severity: "error", message: `cannot read ${path}: no such file or directory` }]);
  if (statSync(path).isDirectory()) return { kind: "rules", path, files: rulesFilesIn(path) };
  // Compiled rules (`cfgvirt compile --json`) are a rule set, as rule files are.
  if (path.endsWith(".json")) return { kind: "rules", path, files: [path] };
  if (path.endsWith(".rules")) {
    const compiled = compileWithFallback([path]);
    const hasImage = compiled.ruleSet.images.length > 0 && compiled.ruleSet.files.some((f) => f.items.some((i) => i.kind === "image"));
    return hasImage ? { kind: "device", path } : { kind: "rules", path, files: [path] };
  }
  return { kind: "device", path };
}

/** Rule files alone when they stand alone, else with the standard library (device files need its layouts). */
function compileWithFallback(files: readonly string[]): CompiledRules {
  try {
    return compileRules(files, { standard: false });
  } catch (e) {
    if (!(e instanceof CfgvirtError)) throw e;
    return compileRules(files);
  }
}

// ---------------------------------------------------------------------------
// Rule sets: per layout, register (with its variant guard) and bit.

interface RuleSetView {
  readonly groups: Map<string, { title: string; order: [number, number, number]; width: number; bits: BitState[] }>;
  readonly layouts: Map<string, string>;
  /** Device files by name: what each one says, without where it says it. */
  readonly devices: Map<string, Record<string, string>>;
  readonly hash: string;
}

function ruleSetView(side: Extract<Side, { kind: "rules" }>): RuleSetView {
  const compiled = compileWithFallback(side.files);
  // A device file's effective rules: its overrides applied, its allow/hide on visibility.
  // Only for a single file: a directory's device files are compared as policies (see notes).
  const ownDevice = statSync(side.path).isDirectory() ? undefined : compiled.devices.find((d) => side.files.some((f) => docPath(f) === docPath(d.source.path)));
  // The device file as the compiler applied it: its templates, with its overrides in.
  const applied = ownDevice ? appliedDevice(compiled, ownDevice).templates : compiled.templatesByName;
  const templates: Template[] = compiled.templates.map((t) => applied.get(t.name) ?? t);
  const groups: RuleSetView["groups"] = new Map();
  const layouts = new Map<string, string>();
  const kindOrder = (t: Template) => (t.kind === "header" ? 0 : t.kind === "capability" ? 1 : 2);
  for (const t of templates) {
    let visibility = t.hiddenReason !== undefined ? `hidden by default (${t.hiddenReason})` : "shown by default";
    if (ownDevice?.hide.has(t.name)) visibility = `hidden by device "${ownDevice.name}"`;
    else if (ownDevice?.allow.has(t.name)) visibility = `allowed by device "${ownDevice.name}"`;
    layouts.set(t.name, `${layoutIdent(t)}, ${visibility}`);
    for (const f of t.fields) {
      const guard = f.guard >= 0 ? guardText(t.guards[f.guard]) : "";
      const key = `${t.name}/${f.register}@${f.offset}${guard ? ` when ${guard}` : ""}`;
      let g = groups.get(key);
      if (!g) {
        const title = `${t.name}.${f.register} @ +${hex(f.offset)} u${f.width}${guard ? ` (when ${guard})` : ""}`;
        g = { title, order: [kindOrder(t), t.id, f.offset], width: f.width, bits: [] };
        groups.set(key, g);
      }
      for (let b = f.lo; b <= f.hi; b++) {
        g.bits[b] = {
          where: g.title,
          base: 0,
          field: f.field ?? "(reserved)",
          attribute: f.attribute,
          policy: policyText(f.policy, f.detail),
          category: categoryOf(f.policy),
        };
      }
    }
  }
  const devices = new Map<string, Record<string, string>>();
  for (const d of compiled.devices) {
    const p = policyDoc(d);
    devices.set(d.name, {
      matches: p.matches.join(", "), allow: p.allow.join(", "), hide: p.hide.join(", "),
      overrides: p.overrides.map((o) => o.replace(/ \([^()]*\)$/, "")).join(", "),
      bars: p.bars.join(", "), "pass bytes": p.passBytes.join(", "), permissive: String(p.permissive),
    });
  }
  return { groups, layouts, devices, hash: hashByDocPath(compiled.ruleSet.files.map((f) => f.path)) };
}

function diffRuleSets(a: Extract<Side, { kind: "rules" }>, b: Extract<Side, { kind: "rules" }>): Omit<DiffResult, "a" | "b"> {
  const va = ruleSetView(a);
  const vb = ruleSetView(b);
  const notes: string[] = [];
  for (const name of [...new Set([...va.layouts.keys(), ...vb.layouts.keys()])].sort()) {
    const la = va.layouts.get(name);
    const lb = vb.layouts.get(name);
    if (la === lb) continue;
    notes.push(`layout ${name}: ${la ?? "(absent)"} -> ${lb ?? "(absent)"}`);
  }
  for (const name of [...new Set([...va.devices.keys(), ...vb.devices.keys()])].sort()) {
    const da = va.devices.get(name);
    const db = vb.devices.get(name);
    if (!da || !db) {
      notes.push(`device "${name}": ${da ? "present" : "(absent)"} -> ${db ? "present" : "(absent)"}`);
      continue;
    }
    for (const k of Object.keys(da)) if (da[k] !== db[k]) notes.push(`device "${name}" ${k}: ${da[k] || "none"} -> ${db[k] || "none"}`);
  }
  const keys = [...new Set([...va.groups.keys(), ...vb.groups.keys()])];
  const order = (k: string) => (va.groups.get(k) ?? vb.groups.get(k))!.order;
  keys.sort((x, y) => {
    const ox = order(x);
    const oy = order(y);
    return ox[0] - oy[0] || ox[1] - oy[1] || ox[2] - oy[2] || (x < y ? -1 : x > y ? 1 : 0);
  });
  const groups: DiffGroup[] = [];
  let bits = 0;
  for (const k of keys) {
    const ga = va.groups.get(k);
    const gb = vb.groups.get(k);
    const width = Math.max(ga?.width ?? 0, gb?.width ?? 0);
    const lines = diffBits(width, (i) => ga?.bits[i], (i) => gb?.bits[i], (i) => i);
    if (lines.length === 0) continue;
    bits += lines.reduce((n, l) => n + l.count, 0);
    groups.push({ title: (ga ?? gb)!.title, lines });
  }
  return { kind: "rules", hashA: va.hash, hashB: vb.hash, notes, groups, bits };
}

// ---------------------------------------------------------------------------
// Devices: every bit of configuration space, at its absolute offset.

function deviceView(path: string): { bits: (BitState | undefined)[]; notes: string[]; hash: string; policy: string } {
  const dev = openDevice(path);
  const doc = deviceDoc({ input: docPath(path), title: dev.source.title, compiled: dev.source.compiled, host: dev.host, tables: dev.tables }, "diff");
  const size = dev.host.size;
  const bits: (BitState | undefined)[] = new Array(4096 * 8);
  for (const l of doc.layouts) {
    for (const r of l.registers) {
      const where = `${hex(r.absolute!, 3)} ${l.name}.${r.name} u${r.width}`;
      for (const row of r.rows) {
        for (let b = row.lo; b <= row.hi; b++) {
          bits[r.absolute! * 8 + b] = { where, base: r.absolute!, field: row.field, attribute: row.attribute, policy: row.policy, category: row.category };
        }
      }
    }
    for (const g of l.gaps) {
      for (let x = g.absolute!; x <= g.absolute! + (g.last - g.first); x++) {
        for (let k = 0; k < 8; k++) bits[x * 8 + k] = { where: `${hex(x & ~3, 3)} ${l.name} (no register)`, base: x & ~3, field: "(uncovered)", attribute: g.attribute, policy: g.policy, category: g.category };
      }
    }
  }
  for (const g of doc.other) {
    for (let x = g.first; x <= g.last; x++) {
      for (let k = 0; k < 8; k++) bits[x * 8 + k] = { where: `${hex(x & ~3, 3)} (device bytes)`, base: x & ~3, field: "(device)", attribute: g.attribute, policy: g.policy, category: g.category };
    }
  }
  const hiddenAt = new Map<number, string>();
  for (const p of dev.tables.placed) if (!p.visible) for (let x = p.offset; x < p.offset + p.size; x++) hiddenAt.set(x, `${p.template.name}, ${p.reason}`);
  for (const u of dev.tables.unknown) hiddenAt.set(u.found.offset, `${u.found.kind} ID ${hex(u.found.id)}, no rules`);
  const permissive = dev.tables.policy.permissive;
  for (let x = 0; x < 4096; x++) {
    for (let k = 0; k < 8; k++) {
      if (bits[x * 8 + k]) continue;
      const hidden = hiddenAt.get(x);
      bits[x * 8 + k] = x >= size
        ? // Past the device's size the guest reads 0 as from any denied byte.
          { where: `${hex(x & ~3, 3)} (beyond the device's configuration space)`, base: x & ~3, field: "-", attribute: "—", policy: "hide (default)", category: "default" }
        : {
            where: `${hex(x & ~3, 3)} ${hidden ? `(hidden capability: ${hidden})` : "(no rule)"}`,
            base: x & ~3,
            field: "(uncovered)",
            attribute: "—",
            policy: permissive ? "pass (default, permissive)" : "hide (default)",
            category: permissive ? "default-pass" : "default",
          };
    }
  }
  return { bits, notes: [...doc.mismatches], hash: hashByDocPath(dev.source.compiled.ruleSet.files.map((f) => f.path)), policy: doc.policy.name };
}

function diffDevices(a: string, b: string): Omit<DiffResult, "a" | "b"> {
  const va = deviceView(a);
  const vb = deviceView(b);
  const notes: string[] = [];
  if (va.policy !== vb.policy) notes.push(`device file: "${va.policy}" -> "${vb.policy}"`);
  const lines = diffBits(4096 * 8, (i) => va.bits[i], (i) => vb.bits[i], (i) => i);
  // Group by the registers on either side.
  const groups: { title: string; lines: DiffLine[] }[] = [];
  for (const line of lines) {
    const title = line.a?.where === line.b?.where ? line.a!.where : `${line.a?.where ?? "(absent)"}  ->  ${line.b?.where ?? "(absent)"}`;
    const last = groups[groups.length - 1];
    if (last && last.title === title) last.lines.push(line);
    else groups.push({ title, lines: [line] });
  }
  return { kind: "devices", hashA: va.hash, hashB: vb.hash, notes, groups, bits: lines.reduce((n, l) => n + l.count, 0) };
}

const sameState = (x: BitState | undefined, y: BitState | undefined) =>
  (x?.attribute ?? "") === (y?.attribute ?? "") && (x?.policy ?? "") === (y?.policy ?? "");
const sameLine = (x: BitState | undefined, y: BitState | undefined) => sameState(x, y) && x?.where === y?.where && x?.field === y?.field;

/** Runs of consecutive bits whose (A, B) states are the same pair and which differ. */
function diffBits(n: number, a: (i: number) => BitState | undefined, b: (i: number) => BitState | undefined, abs: (i: number) => number): DiffLine[] {
  const out: DiffLine[] = [];
  let i = 0;
  while (i < n) {
    const sa = a(i);
    const sb = b(i);
    if (sameState(sa, sb)) {
      i++;
      continue;
    }
    let j = i;
    while (j + 1 < n && !sameState(a(j + 1), b(j + 1)) && sameLine(a(j + 1), sa) && sameLine(b(j + 1), sb)) j++;
    // Bits are numbered within a register: the side that has one, A first.
    const named = (s: BitState | undefined) => s !== undefined && !UNNAMED.has(s.field);
    const base = (named(sa) ? sa : named(sb) ? sb : sa ?? sb)!.base * 8;
    const lo = abs(i) - (sa || sb ? base : 0);
    const hi = abs(j) - (sa || sb ? base : 0);
    out.push({ bits: bitsLabel(hi, lo), a: sa, b: sb, count: j - i + 1 });
    i = j + 1;
  }
  return out;
}

export function diff(pathA: string, pathB: string): DiffResult {
  const a = classifyInput(pathA);
  const b = classifyInput(pathB);
  if (a.kind !== b.kind) {
    throw new CfgvirtError([{
      code: "E119", severity: "error",
      message: `cannot compare ${a.kind === "device" ? "a device" : "a rule set"} (${pathA}) with ${b.kind === "device" ? "a device" : "a rule set"} (${pathB})`,
      help: "give two devices (dumps or rule files with an `image`) or two rule sets (rule files or directories)",
    }]);
  }
  const core = a.kind === "device" ? diffDevices(a.path, b.path) : diffRuleSets(a as Extract<Side, { kind: "rules" }>, b as Extract<Side, { kind: "rules" }>);
  return { ...core, a: docPath(pathA), b: docPath(pathB) };
}

// ---------------------------------------------------------------------------
// Rendering

const UNNAMED = new Set(["(uncovered)", "-", "(device)"]);
const stateText = (s: BitState | undefined) => (s ? `${s.attribute} ${s.policy}` : "(absent)");
function fieldText(l: DiffLine): string {
  const names = [l.a?.field, l.b?.field].filter((f): f is string => f !== undefined && !UNNAMED.has(f));
  return [...new Set(names)].join(" -> ") || (l.a?.field ?? l.b?.field ?? "");
}

export function renderDiffText(d: DiffResult): string {
  const out: string[] = [`--- A: ${d.a}  (rules sha256:${d.hashA})`, `+++ B: ${d.b}  (rules sha256:${d.hashB})`];
  for (const n of d.notes) out.push(`note: ${n}`);
  if (d.groups.length === 0) {
    out.push(`no bit differs in attribute or policy`);
    return out.join("\n") + "\n";
  }
  const bw = Math.max(...d.groups.flatMap((g) => g.lines.map((l) => l.bits.length)));
  const fw = Math.max(...d.groups.flatMap((g) => g.lines.map((l) => fieldText(l).length)));
  const aw = Math.max(...d.groups.flatMap((g) => g.lines.map((l) => stateText(l.a).length)));
  for (const g of d.groups) {
    out.push("", g.title);
    for (const l of g.lines) out.push(`  ${l.bits.padEnd(bw)}  ${fieldText(l).padEnd(fw)}  ${stateText(l.a).padEnd(aw)}  ->  ${stateText(l.b)}`);
  }
  out.push("", `${d.bits} bit(s) differ in ${d.groups.length} register(s)`);
  return out.join("\n") + "\n";
}

export function renderDiffHtml(d: DiffResult): string {
  const h = esc;
  const badge = (s: BitState | undefined) => {
    if (!s || s.category === "absent") return `<span class="cat absent">${h(stateText(s))}</span>`;
    const st = STYLE[s.category];
    return `<span class="cat" style="background:${st.fill};border-color:${st.ink}">${h(stateText(s))}</span>`;
  };
  const parts = [
    `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><meta name="generator" content="cfgvirt diff"><title>cfgvirt diff: ${h(d.a)} vs ${h(d.b)}</title>`,
    `<style>body{font:14px/1.45 system-ui,"DejaVu Sans",sans-serif;max-width:1100px;margin:0 auto;padding:1rem 1.5rem}code,.mono{font-family:ui-monospace,"DejaVu Sans Mono",monospace}` +
      `table{border-collapse:collapse;margin:.3rem 0 1rem}th,td{border:1px solid #aaa;padding:.2rem .5rem;text-align:left}th{background:#eee}` +
      `.cat{display:inline-block;padding:0 .35rem;border:1px solid #333;border-radius:3px}.cat.absent{border-style:dashed}.banner{background:#f4f4f4;border-left:4px solid #555;padding:.5rem 1rem}` +
      `h2{font-size:1.05rem;font-family:ui-monospace,"DejaVu Sans Mono",monospace;margin-top:1.5rem}@media print{*{-webkit-print-color-adjust:exact;print-color-adjust:exact}}</style></head><body>`,
    `<h1>cfgvirt diff</h1>`,
    `<div class="banner" id="generated-from"><p>Generated by <code>cfgvirt diff ${h(d.a)} ${h(d.b)}</code>. Do not edit by hand.</p>` +
      `<p>A: <code>${h(d.a)}</code> (rules <code>sha256:${d.hashA}</code>)</p><p>B: <code>${h(d.b)}</code> (rules <code>sha256:${d.hashB}</code>)</p></div>`,
  ];
  if (d.notes.length) parts.push(`<ul class="notes">${d.notes.map((n) => `<li>${h(n)}</li>`).join("")}</ul>`);
  parts.push(`<p id="diff-count" data-bits="${d.bits}">${d.bits} bit(s) differ in ${d.groups.length} register(s).</p>`);
  for (const g of d.groups) {
    parts.push(`<section class="group"><h2>${h(g.title)}</h2><table><thead><tr><th>Bits</th><th>Field</th><th>A</th><th>B</th></tr></thead><tbody>`);
    for (const l of g.lines) parts.push(`<tr data-bits="${l.count}"><td class="mono">${h(l.bits)}</td><td class="mono">${h(fieldText(l))}</td><td>${badge(l.a)}</td><td>${badge(l.b)}</td></tr>`);
    parts.push(`</tbody></table></section>`);
  }
  parts.push(`</body></html>`);
  return parts.join("\n") + "\n";
}
