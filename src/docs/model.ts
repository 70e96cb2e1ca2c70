// The documentation model: what a page says about the standard library and
// about each attached device, built from compiled templates and, for devices,
// from the attached tables. Markdown and HTML render this same model.
import type { DevicePolicy } from "../compile/resolve/device.js";
import { registersOf } from "../compile/syntax-walk.js";
import type { CompiledRules } from "../compile/pipeline.js";
import { sourceRef } from "../compile/source-ref.js";
import type { FieldInfo, GuardExpr, PolicyKind, RestInfo, SourceRef, Template } from "../compile/template.js";
import { HOOKS, isHookName, isLinkName, LINKS } from "../compile/vocabulary.js";
import type { HostDevice } from "../host/host.js";
import type { DeviceTables } from "../runtime/attach.js";
import { docRef } from "./paths.js";

/** What the guest gets for one bit, as the pages colour it. */
export type Category = "pass" | "emulate" | "hide" | "hook" | "default" | "default-pass";

export const CATEGORIES: readonly Category[] = ["pass", "emulate", "hide", "hook", "default", "default-pass"];

export const CATEGORY_INFO: Readonly<Record<Category, { readonly label: string; readonly letter: string; readonly description: string }>> = {
  pass: { label: "pass", letter: "P", description: "guest reads and writes the hardware bit (a constant one as read at attach)" },
  emulate: { label: "emulate", letter: "E", description: "guest reads and writes a virtual copy; the hardware never sees it" },
  hide: { label: "hide", letter: "H", description: "guest reads a constant; writes are dropped" },
  hook: { label: "hook", letter: "T", description: "trapped: a named hook runs platform logic" },
  default: { label: "default deny", letter: "D", description: "no rule covers the bit: reads 0, writes dropped" },
  "default-pass": { label: "default pass", letter: "!", description: "no rule covers the bit and the device is permissive: passed to hardware" },
};

export function categoryOf(policy: PolicyKind): Category {
  return policy === "trap" ? "hook" : policy;
}

export interface Row {
  readonly hi: number;
  readonly lo: number;
  readonly reserved: boolean;
  /** The field name; "(reserved)" for `-` fields. */
  readonly field: string;
  readonly attribute: string;
  readonly policy: string;
  readonly category: Category;
  readonly initial: string;
  readonly notes: readonly string[];
  /** The device file's override statement, when one changed this field; the device's overrides table lists it. */
  readonly overriddenBy?: string;
  /** The field's `##` documentation (also the first note), for the search index. */
  readonly doc?: string;
}

export interface RegisterDoc {
  readonly anchor: string;
  readonly layout: string;
  readonly name: string;
  /** Byte offset relative to the layout's base. */
  readonly offset: number;
  /** Absolute byte offset on a device; undefined in the library. */
  readonly absolute: number | undefined;
  readonly width: 8 | 16 | 32;
  readonly guard: string | undefined;
  readonly source: string;
  /** The register's `##` documentation and its own spec citation, when the rules give them. */
  readonly description?: string;
  readonly spec?: string;
  /** Ascending by bit, covering every bit of the register. */
  readonly rows: readonly Row[];
}

/** Bytes of a layout no register describes. */
export interface GapDoc {
  readonly first: number;
  readonly last: number;
  readonly absolute: number | undefined;
  readonly attribute: string;
  readonly policy: string;
  readonly category: Category;
  readonly initial: string;
  readonly notes: readonly string[];
}

export interface Counts {
  pass: number;
  emulate: number;
  hide: number;
  hook: number;
  /** Bits no rule covers, denied by the default. */
  default: number;
  /** Bits no rule covers, passed because the device is permissive. */
  defaultPass: number;
}

export const zeroCounts = (): Counts => ({ pass: 0, emulate: 0, hide: 0, hook: 0, default: 0, defaultPass: 0 });
export const explicitBits = (c: Counts) => c.pass + c.emulate + c.hide + c.hook;
export const defaultBits = (c: Counts) => c.default + c.defaultPass;
export const totalBits = (c: Counts) => explicitBits(c) + defaultBits(c);

export function addCategory(c: Counts, cat: Category, n = 1): void {
  if (cat === "default-pass") c.defaultPass += n;
  else c[cat] += n;
}

export function addCounts(a: Counts, b: Counts): Counts {
  return {
    pass: a.pass + b.pass, emulate: a.emulate + b.emulate, hide: a.hide + b.hide, hook: a.hook + b.hook,
    default: a.default + b.default, defaultPass: a.defaultPass + b.defaultPass,
  };
}

export interface LayoutDoc {
  readonly anchor: string;
  readonly name: string;
  readonly kind: string;
  /** "capability 0x05", "header type 0", "extended 0x0001". */
  readonly ident: string;
  readonly spec: string | undefined;
  /** The layout's `##` documentation. */
  readonly description?: string;
  readonly source: string;
  readonly size: string;
  readonly hiddenReason: string | undefined;
  /** On a device: where it sits and why it is shown. */
  readonly placement: { readonly offset: number; readonly size: number; readonly reason: string } | undefined;
  readonly registers: readonly RegisterDoc[];
  readonly gaps: readonly GapDoc[];
  readonly counts: Counts;
  /** Library only: bits in registers that exist only when a `when` guard holds. */
  readonly conditionalBits: number;
  readonly notes: readonly string[];
}

export interface DevicePolicyDoc {
  readonly name: string;
  readonly source: string;
  readonly matches: readonly string[];
  readonly allow: readonly string[];
  readonly hide: readonly string[];
  readonly overrides: readonly string[];
  readonly bars: readonly string[];
  readonly passBytes: readonly string[];
  readonly permissive: boolean;
}

export interface LibraryDoc {
  readonly layouts: readonly LayoutDoc[];
  readonly devices: readonly DevicePolicyDoc[];
  readonly total: Counts;
}

export interface HiddenCapDoc {
  readonly name: string;
  readonly ident: string;
  readonly offset: number;
  readonly reason: string;
}

export interface OverrideDoc {
  readonly target: string;
  readonly bits: string;
  readonly policy: string;
  readonly by: string;
}

export interface SummaryRow {
  readonly label: string;
  readonly anchor: string | undefined;
  readonly first: number;
  readonly end: number;
  readonly counts: Counts;
}

export interface DeviceDoc {
  readonly anchor: string;
  readonly input: string;
  readonly title: string;
  readonly configSize: number;
  readonly policy: DevicePolicyDoc;
  readonly layouts: readonly LayoutDoc[];
  readonly hidden: readonly HiddenCapDoc[];
  readonly overrides: readonly OverrideDoc[];
  /** One row per visible layout, then the bytes outside them; they add up to `total`. */
  readonly summary: readonly SummaryRow[];
  readonly total: Counts;
  /** Other covered bytes: device pass ranges, the extended chain head. */
  readonly other: readonly GapDoc[];
  readonly bars: readonly string[];
  readonly notes: readonly string[];
  /** Bits where the tables and the rules disagree (should be none). */
  readonly mismatches: readonly string[];
}

// ---------------------------------------------------------------------------
// Formatting helpers

export const hex = (n: number, digits = 2) => "0x" + (n >>> 0).toString(16).padStart(digits, "0");
export const bitsLabel = (hi: number, lo: number) => (hi === lo ? `[${lo}]` : `[${hi}:${lo}]`);

export function layoutIdent(t: Pick<Template, "kind" | "id">): string {
  if (t.kind === "header") return `header type ${t.id}`;
  return t.kind === "extended" ? `extended capability ${hex(t.id, 4)}` : `capability ${hex(t.id)}`;
}

export function policyText(policy: PolicyKind, detail: string): string {
  switch (policy) {
    case "pass":
      return detail === "read" ? "pass(read)" : "pass";
    case "emulate":
      return `emulate(${detail})`;
    case "hide":
      return detail === "0x0" || detail === "" ? "hide" : `hide(${detail})`;
    case "trap":
      return `trap(${detail})`;
  }
}

function initText(policy: PolicyKind, detail: string): string {
  switch (policy) {
    case "pass":
      return detail === "const" ? "hardware, at attach (constant)" : "hardware";
    case "hide":
      return detail || "0x0";
    case "emulate":
      return detail === "hw" ? "hardware, at attach" : detail;
    case "trap": {
      const init = detail.split(", ")[1] ?? "hw";
      return init === "hw" ? "hardware, at attach" : init;
    }
  }
}

function policyNotes(policy: PolicyKind, detail: string): string[] {
  const notes: string[] = [];
  if (policy === "trap") {
    const hook = detail.split(", ")[0];
    if (isHookName(hook)) notes.push(`hook ${hook}: ${HOOKS[hook]}`);
  }
  const init = policy === "trap" ? detail.split(", ")[1] : policy === "emulate" ? detail : undefined;
  if (init !== undefined && isLinkName(init)) notes.push(`${init}: ${LINKS[init]}`);
  if (policy === "pass" && detail === "const") notes.push("constant (HwInit or RO const): served from the attach-time snapshot, never read from the host again");
  return notes;
}

function attributeNotes(attribute: string): string[] {
  if (attribute === "RsvdP") return ["reserved: preserved on hardware writes"];
  if (attribute === "RsvdZ") return ["reserved: written as 0"];
  return [];
}

/** A guard printed in the rule language's own syntax, with field names. */
export function guardText(g: GuardExpr, top = true): string {
  switch (g.op) {
    case "not": {
      const inner = guardText(g.operand, false);
      // and/or come back parenthesised; a comparison needs its own.
      const compare = g.operand.op !== "nonzero" && g.operand.op !== "not" && g.operand.op !== "and" && g.operand.op !== "or";
      return compare ? `!(${inner})` : `!${inner}`;
    }
    case "and":
    case "or": {
      const s = g.operands.map((o) => guardText(o, false)).join(g.op === "and" ? " && " : " || ");
      return top ? s : `(${s})`;
    }
    default:
      return g.op === "nonzero" ? g.path : `${g.path} ${g.op} ${g.value}`;
  }
}

function sizeText(t: Template): string {
  const size = t.size;
  switch (size.kind) {
    case "fixed":
      return `${hex(size.bytes)} bytes`;
    case "registers":
      return "as far as the registers present reach";
    case "field": {
      const scaled = size.scale === 1 ? size.path : `${size.path} × ${size.scale}`;
      return `${size.add ? `${scaled} + ${hex(size.add)}` : scaled} bytes (at least ${hex(size.minimum)})`;
    }
  }
}

/** Anchors unique within a page: `prefix-layout-register`, with the offset when a name repeats. */
class Anchors {
  private used = new Set<string>();
  make(...parts: string[]): string {
    const base = parts.join("-").toLowerCase().replace(/[^a-z0-9_-]+/g, "-");
    let a = base;
    for (let i = 2; this.used.has(a); i++) a = `${base}-${i}`;
    this.used.add(a);
    return a;
  }
}

/** The register's own declaration line, from the AST the template was lowered from. */
function registerSource(compiled: CompiledRules, layout: string, register: string, offset: number, fallback: SourceRef): string {
  const l = compiled.layoutsByName.get(layout);
  const reg = l ? registersOf(l.body).find((r) => r.name.name === register && r.offset.value === offset) : undefined;
  return docRef(reg ? sourceRef(reg.span) : fallback);
}

function rowsOf(fields: readonly FieldInfo[], initial?: (f: FieldInfo) => string): Row[] {
  return [...fields]
    .sort((a, b) => a.lo - b.lo)
    .map((f) => {
      const notes = [...(f.doc ? [f.doc] : []), ...policyNotes(f.policy, f.detail), ...attributeNotes(f.attribute)];
      notes.push(`line ${f.source.line}`);
      return {
        hi: f.hi,
        lo: f.lo,
        reserved: f.field === undefined,
        field: f.field ?? "(reserved)",
        attribute: f.attribute,
        policy: policyText(f.policy, f.detail),
        category: categoryOf(f.policy),
        initial: initial ? initial(f) : initText(f.policy, f.detail),
        notes,
        ...(f.overriddenBy ? { overriddenBy: docRef(f.overriddenBy) } : {}),
        ...(f.doc ? { doc: f.doc } : {}),
      };
    });
}

/** Registers of a template in offset order, each with its fields. */
function registersOfTemplate(t: Template): { key: string; register: string; offset: number; width: 8 | 16 | 32; guard: number; fields: FieldInfo[] }[] {
  const out = new Map<string, { key: string; register: string; offset: number; width: 8 | 16 | 32; guard: number; fields: FieldInfo[] }>();
  for (const f of t.fields) {
    const key = `${f.register}@${f.offset}#${f.guard}`;
    const r = out.get(key) ?? { key, register: f.register, offset: f.offset, width: f.width, guard: f.guard, fields: [] };
    r.fields.push(f);
    out.set(key, r);
  }
  return [...out.values()].sort((a, b) => a.offset - b.offset || a.guard - b.guard);
}

/** Contiguous runs of set entries in a byte map. */
function runs(map: readonly boolean[], from: number, end: number): [number, number][] {
  const out: [number, number][] = [];
  for (let b = from; b < end; b++) {
    if (!map[b]) continue;
    let e = b;
    while (e + 1 < end && map[e + 1]) e++;
    out.push([b, e]);
    b = e;
  }
  return out;
}

function restGap(first: number, last: number, absolute: number | undefined, rest: RestInfo | undefined): GapDoc {
  if (rest) {
    return {
      first, last, absolute,
      attribute: rest.attribute,
      policy: policyText(rest.policy, rest.detail),
      category: categoryOf(rest.policy),
      initial: initText(rest.policy, rest.detail),
      notes: [`no register: the layout's \`rest\` rule (${docRef(rest.source)})`],
    };
  }
  return {
    first, last, absolute,
    attribute: "—",
    policy: "hide (default)",
    category: "default",
    initial: "0x0",
    notes: ["uncovered: no rule describes these bytes, so the default denies them"],
  };
}

// ---------------------------------------------------------------------------
// The standard library

export function libraryDoc(compiled: CompiledRules, prefix = "lib"): LibraryDoc {
  const anchors = new Anchors();
  const layouts: LayoutDoc[] = [];
  let total = zeroCounts();
  const templates = [...compiled.templates].sort((a, b) => kindOrder(a) - kindOrder(b) || a.id - b.id);
  for (const t of templates) {
    const counts = zeroCounts();
    let conditionalBits = 0;
    const registers: RegisterDoc[] = [];
    const byteCovered: boolean[] = [];
    const layoutAnchor = anchors.make(prefix, t.name);
    for (const r of registersOfTemplate(t)) {
      const rows = rowsOf(r.fields);
      for (const row of rows) addCategory(counts, row.category, row.hi - row.lo + 1);
      if (r.guard >= 0) conditionalBits += r.width;
      for (let b = 0; b < r.width / 8; b++) byteCovered[r.offset + b] = true;
      registers.push({
        anchor: anchors.make(prefix, t.name, r.register),
        layout: t.name,
        name: r.register,
        offset: r.offset,
        absolute: undefined,
        width: r.width,
        guard: r.guard >= 0 ? guardText(t.guards[r.guard]) : undefined,
        source: registerSource(compiled, t.name, r.register, r.offset, r.fields[0].source),
        ...(r.fields[0].registerDoc ? { description: r.fields[0].registerDoc } : {}),
        ...(r.fields[0].registerSpec ? { spec: r.fields[0].registerSpec } : {}),
        rows,
      });
    }
    const extent = t.size.kind === "fixed" ? t.size.bytes : t.size.kind === "field" ? t.size.minimum : Math.max(0, ...registers.map((r) => r.offset + r.width / 8));
    const uncovered = Array.from({ length: extent }, (_, b) => !byteCovered[b]);
    const gaps = runs(uncovered, 0, extent).map(([a, b]) => restGap(a, b, undefined, t.rest));
    for (const g of gaps) addCategory(counts, g.category, (g.last - g.first + 1) * 8);
    const notes: string[] = [];
    if (registers.some((r) => r.guard)) notes.push("Registers with a `when` guard exist only when the guard holds on the device; where none of a variant's registers covers a byte, the default denies it.");
    if (t.size.kind === "field") notes.push(`Bytes past the registers, up to the size the device reports, follow ${t.rest ? `the \`rest\` rule (${policyText(t.rest.policy, t.rest.detail)})` : "the default (denied)"}.`);
    layouts.push({
      anchor: layoutAnchor,
      name: t.name,
      kind: t.kind,
      ident: layoutIdent(t),
      spec: t.spec,
      ...(t.doc ? { description: t.doc } : {}),
      source: docRef(t.source),
      size: sizeText(t),
      hiddenReason: t.hiddenReason,
      placement: undefined,
      registers,
      gaps,
      counts,
      conditionalBits,
      notes,
    });
    total = addCounts(total, counts);
  }
  const devices = compiled.devices.map(policyDoc).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { layouts, devices, total };
}

function kindOrder(t: Template): number {
  return t.kind === "header" ? 0 : t.kind === "capability" ? 1 : 2;
}

export function policyDoc(p: DevicePolicy): DevicePolicyDoc {
  const sizeText = (n: number) => (n >= 1 << 30 && n % (1 << 30) === 0 ? `${n / (1 << 30)}G` : n >= 1 << 20 && n % (1 << 20) === 0 ? `${n / (1 << 20)}M` : n >= 1024 && n % 1024 === 0 ? `${n / 1024}K` : String(n));
  const half = (v: number | undefined) => (v === undefined ? "*" : v.toString(16).padStart(4, "0"));
  const overrides: string[] = [];
  for (const [layout, m] of p.overrides) {
    for (const [key, o] of m) overrides.push(`${layout}.${key} → ${overridePolicyText(o.policy)} (${docRef(o.source)})`);
  }
  return {
    name: p.name,
    source: docRef(p.source),
    matches: p.matches.map((m) =>
      m.kind === "class"
        ? `class ${hex(m.value, 6)}/${hex(m.mask, 6)}`
        : `${half(m.vendor)}:${half(m.device)}${m.subsystemVendor !== undefined || m.subsystem !== undefined ? ` subsystem ${half(m.subsystemVendor)}:${half(m.subsystem)}` : ""}`,
    ),
    allow: [...p.allow].sort(),
    hide: [...p.hide].sort(),
    overrides,
    bars: [
      ...p.barSizes.flatMap((s, i) => (s === undefined ? [] : [`BAR ${i}: ${sizeText(s)}`])),
      ...(p.romSize !== undefined ? [`ROM: ${sizeText(p.romSize)}`] : []),
    ],
    passBytes: p.passBytes.map((r) => `${hex(r.first, 3)}..${hex(r.last, 3)} ${r.attribute}`),
    permissive: p.permissive,
  };
}

function overridePolicyText(p: { kind: string; init?: { kind: string; value?: number; link?: string }; value?: number; hook?: { name: string } }): string {
  const init = (i: { kind: string; value?: number; link?: string } | undefined) =>
    !i || i.kind === "hw" ? "hw" : i.kind === "const" ? hex(i.value!, 1) : i.link!;
  switch (p.kind) {
    case "pass":
      return "pass";
    case "emulate":
      return `emulate(${init(p.init)})`;
    case "hide":
      return p.value ? `hide(${hex(p.value, 1)})` : "hide";
    default:
      return `trap(${p.hook?.name ?? "?"}, ${init(p.init)})`;
  }
}

// ---------------------------------------------------------------------------
// Counting bits in the attached tables. These numbers are the device's truth:
// the summary's pass / virtual / default figures come from here.

export interface TableBitCounts {
  /** covered & hwRead */
  pass: number;
  /** covered & virtRead & ~hwRead: emulated, hidden or hooked */
  virtual: number;
  /** denied */
  denied: number;
  /** ~covered & hwRead (permissive devices) */
  permissivePass: number;
}

const popcount = (x: number) => {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
};

/** Count the tables' bits over bytes [first, end). */
export function countTableBits(t: DeviceTables, first: number, end: number): TableBitCounts {
  const c: TableBitCounts = { pass: 0, virtual: 0, denied: 0, permissivePass: 0 };
  for (let b = first; b < end; b++) {
    const d = b >> 2;
    const m = (0xff << ((b & 3) * 8)) >>> 0;
    const cov = t.covered[d] & m;
    c.pass += popcount(cov & t.hwRead[d]);
    c.virtual += popcount(cov & t.virtRead[d] & ~t.hwRead[d]);
    c.denied += popcount(t.denied[d] & m);
    c.permissivePass += popcount(~t.covered[d] & t.hwRead[d] & m);
  }
  return c;
}

/** What the tables say about one bit: the category they can tell apart. */
function tableClass(t: DeviceTables, bit: number): "pass" | "virtual" | "default" | "default-pass" | "none" {
  const d = bit >> 5;
  const m = (1 << (bit & 31)) >>> 0;
  // A constant field's passed bits are served from the attach-time snapshot: passed all the same.
  if (t.covered[d] & m) return (t.hwRead[d] | t.snapshot[d]) & m ? "pass" : t.virtRead[d] & m ? "virtual" : "none";
  if (t.denied[d] & m) return "default";
  return t.hwRead[d] & m ? "default-pass" : "none";
}

// ---------------------------------------------------------------------------
// An attached device

export interface DeviceInput {
  readonly input: string;
  readonly title: string;
  readonly compiled: CompiledRules;
  readonly host: HostDevice;
  readonly tables: DeviceTables;
}

export function deviceDoc(dev: DeviceInput, prefix: string): DeviceDoc {
  const { tables: t, host, compiled } = dev;
  const anchors = new Anchors();
  const size = host.size;
  // Per bit: which rule the rules say governs it (category), for splitting the
  // tables' virtual bits into emulate / hide / hook.
  const ruleCat: (Category | undefined)[] = new Array(size * 8);
  const hostDwords = size >> 2;
  const layouts: LayoutDoc[] = [];
  const read32 = (d: number) => host.read32(d) >>> 0;
  const bitsAt = (abs: number, hi: number, lo: number, source: Uint32Array | undefined): number => {
    let v = 0;
    for (let b = hi; b >= lo; b--) {
      const bit = abs * 8 + b;
      const d = bit >> 5;
      const word = source ? source[d] : read32(d);
      v = v * 2 + ((word >>> (bit & 31)) & 1);
    }
    return v;
  };

  for (const p of t.placed) {
    if (!p.visible) continue;
    const tpl = p.template;
    const counts = zeroCounts();
    const registers: RegisterDoc[] = [];
    const pieceBytes = new Uint8Array(p.size);
    const layoutAnchor = anchors.make(prefix, tpl.name);
    for (const r of registersOfTemplate(tpl)) {
      const d = (p.offset >> 2) + (r.offset >> 2);
      if (r.guard >= 0 && !p.guards[r.guard]) continue;
      if (d >= hostDwords || (r.offset >> 2) * 4 >= p.size) continue;
      const abs = p.offset + r.offset;
      for (let b = 0; b < r.width / 8; b++) if (r.offset + b < p.size) pieceBytes[r.offset + b] = 1;
      for (const f of r.fields) for (let b = f.lo; b <= f.hi; b++) ruleCat[abs * 8 + b] = categoryOf(f.policy);
      const rows = rowsOf(r.fields, (f) => {
        const width = f.hi - f.lo + 1;
        const v = bitsAt(abs, f.hi, f.lo, f.policy === "pass" ? undefined : t.initialShadow);
        return hex(v, Math.max(1, Math.ceil(width / 4)));
      });
      registers.push({
        anchor: anchors.make(prefix, tpl.name, r.register),
        layout: tpl.name,
        name: r.register,
        offset: r.offset,
        absolute: abs,
        width: r.width,
        guard: r.guard >= 0 ? `${guardText(tpl.guards[r.guard])} (holds on this device)` : undefined,
        source: registerSource(compiled, tpl.name, r.register, r.offset, r.fields[0].source),
        ...(r.fields[0].registerDoc ? { description: r.fields[0].registerDoc } : {}),
        ...(r.fields[0].registerSpec ? { spec: r.fields[0].registerSpec } : {}),
        rows,
      });
    }
    const end = Math.min(p.size, size - p.offset);
    const gapMap = Array.from({ length: end }, (_, b) => pieceBytes[b] === 0);
    const gaps = runs(gapMap, 0, end).map(([a, b]) => {
      const g = restGap(a, b, p.offset + a, tpl.rest);
      if (tpl.rest) for (let x = a; x <= b; x++) for (let k = 0; k < 8; k++) ruleCat[(p.offset + x) * 8 + k] = g.category;
      return g;
    });
    layouts.push({
      anchor: layoutAnchor,
      name: tpl.name,
      kind: tpl.kind,
      ident: layoutIdent(tpl),
      spec: tpl.spec,
      ...(tpl.doc ? { description: tpl.doc } : {}),
      source: docRef(tpl.source),
      size: `${hex(p.size)} bytes here (${sizeText(tpl)})`,
      hiddenReason: tpl.hiddenReason,
      placement: { offset: p.offset, size: p.size, reason: p.reason },
      registers,
      gaps,
      counts,
      conditionalBits: 0,
      notes: [],
    });
  }

  // Covered bytes outside every visible layout: device pass ranges, the chain head.
  const other: GapDoc[] = [];
  const inLayout = new Uint8Array(size);
  for (const p of t.placed) if (p.visible) inLayout.fill(1, p.offset, Math.min(size, p.offset + p.size));
  const otherCovered = Array.from({ length: size }, (_, b) => !inLayout[b] && (t.covered[b >> 2] & ((0xff << ((b & 3) * 8)) >>> 0)) !== 0);
  for (const [a, b] of runs(otherCovered, 0, size)) {
    const passRange = t.policy.passBytes.find((r) => a >= r.first && a <= r.last);
    const chainHead = a >= 0x100 && b <= 0x103 && !passRange;
    const cat: Category = chainHead ? "emulate" : "pass";
    for (let x = a; x <= b; x++) for (let k = 0; k < 8; k++) ruleCat[x * 8 + k] = cat;
    other.push({
      first: a, last: b, absolute: a,
      attribute: passRange ? passRange.attribute : "RO",
      policy: chainHead ? "emulate" : "pass",
      category: cat,
      initial: chainHead ? hex(bitsAt(0x100, 31, 0, t.initialShadow), 8) : "hardware",
      notes: [chainHead
        ? "extended chain head: the first extended capability is hidden, so 0x100 reads as ID 0 linking to the first one shown"
        : `device "${t.policy.name}" passes these bytes (${docRef(t.policy.source)})`],
    });
  }

  // Classify every bit: the tables decide pass / virtual / default; the rules
  // split the virtual bits into emulate, hide and hook.
  const mismatches: string[] = [];
  const classify = (bit: number): Category | undefined => {
    const tc = tableClass(t, bit);
    const rc = ruleCat[bit];
    const where = () => `${hex(bit >> 3, 3)} bit ${bit & 7}`;
    switch (tc) {
      case "pass":
        if (rc !== "pass") mismatches.push(`${where()}: tables pass it, the rules say ${rc ?? "nothing"}`);
        return "pass";
      case "virtual":
        if (rc === "pass" || rc === "default-pass" || rc === undefined) {
          mismatches.push(`${where()}: tables make it virtual, the rules say ${rc ?? "nothing"}`);
          return "emulate";
        }
        return rc === "default" ? "hide" : rc;
      case "default":
        if (rc !== undefined && rc !== "default") mismatches.push(`${where()}: tables deny it, the rules say ${rc}`);
        return "default";
      case "default-pass":
        return "default-pass";
      case "none":
        return undefined;
    }
  };
  const cats: (Category | undefined)[] = new Array(size * 8);
  for (let bit = 0; bit < size * 8; bit++) cats[bit] = classify(bit);
  const countRange = (first: number, end: number): Counts => {
    const c = zeroCounts();
    for (let bit = first * 8; bit < end * 8; bit++) {
      const cat = cats[bit];
      if (cat) addCategory(c, cat);
    }
    return c;
  };

  const summary: SummaryRow[] = [];
  const visible = t.placed.filter((p) => p.visible);
  const layoutCounts = new Map<string, Counts>();
  for (const [i, p] of visible.entries()) {
    const end = Math.min(size, p.offset + p.size);
    const counts = countRange(p.offset, end);
    layoutCounts.set(layouts[i].anchor, counts);
    summary.push({ label: `${p.template.name} @ ${hex(p.offset, 3)}`, anchor: layouts[i].anchor, first: p.offset, end, counts });
  }
  const outside = zeroCounts();
  for (let bit = 0; bit < size * 8; bit++) {
    const cat = cats[bit];
    if (cat && !inLayout[bit >> 3]) addCategory(outside, cat);
  }
  summary.push({ label: "outside the layouts shown (hidden and unknown capabilities, unused bytes, device pass ranges)", anchor: undefined, first: -1, end: -1, counts: outside });
  const total = summary.reduce((acc, r) => addCounts(acc, r.counts), zeroCounts());

  const laidOut = layouts.map((l) => ({ ...l, counts: layoutCounts.get(l.anchor) ?? l.counts }));

  const hidden: HiddenCapDoc[] = [
    ...t.placed.filter((p) => !p.visible).map((p) => ({ name: p.template.name, ident: layoutIdent(p.template), offset: p.offset, reason: p.reason })),
    ...t.unknown.map((u) => ({
      name: "(no rules)",
      ident: u.found.kind === "extended" ? `extended capability ${hex(u.found.id, 4)}` : `capability ${hex(u.found.id)}`,
      offset: u.found.offset,
      reason: "no rules describe it: hidden by default",
    })),
  ].sort((a, b) => a.offset - b.offset);

  const overrides: OverrideDoc[] = [];
  for (const p of visible) {
    for (const f of p.template.fields) {
      if (!f.overriddenBy) continue;
      overrides.push({
        target: `${p.template.name}.${f.register}.${f.field ?? "-"}`,
        bits: `${hex(p.offset + f.offset, 3)} ${bitsLabel(f.hi, f.lo)}`,
        policy: policyText(f.policy, f.detail),
        by: docRef(f.overriddenBy),
      });
    }
  }

  return {
    anchor: prefix,
    input: dev.input,
    title: dev.title,
    configSize: size,
    policy: policyDoc(t.policy),
    layouts: laidOut,
    hidden,
    overrides,
    summary,
    total,
    other,
    bars: t.bars.filter((b) => b.kind !== "none" && b.size > 0).map((b) => `${b.index === 6 ? "ROM" : `BAR ${b.index}`}: ${b.kind}, ${b.size} bytes`),
    notes: [...t.notes],
    mismatches: mismatches.slice(0, 50),
  };
}
