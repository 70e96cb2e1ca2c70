// Ohm match -> typed AST. This is the only module that imports ohm-js.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type * as ohm from "ohm-js";
import { error, type Diagnostic, SourceFile, type Span } from "../diag/diagnostic.js";
import { grammarPath } from "../paths.js";
import type * as A from "./ast.js";
import { syntaxErrors } from "./syntax-errors.js";

// Built on first use: a tool that reads only precompiled rules never pays for it,
// not even ohm-js's import (~60 ms cold): it is required here, not imported above.
const requireCjs = createRequire(import.meta.url);
let language: { readonly grammar: ohm.Grammar; readonly semantics: ohm.Semantics } | undefined;
function built(): { readonly grammar: ohm.Grammar; readonly semantics: ohm.Semantics } {
  if (!language) {
    const { grammar: makeGrammar } = requireCjs("ohm-js") as typeof ohm;
    const grammar = makeGrammar(readFileSync(grammarPath, "utf8"));
    const semantics = grammar.createSemantics();
    semantics.addOperation<unknown>("ast", ACTIONS);
    language = { grammar, semantics };
  }
  return language;
}

// The source file being converted; set for the duration of one parse call so that
// every action can build spans without threading it through Ohm.
let current: SourceFile;
// Where the text Ohm is matching starts in the file (files are matched one top-level item at a time).
let base = 0;

function span(node: ohm.Node): Span {
  return { source: current, start: base + node.source.startIdx, end: base + node.source.endIdx };
}

function ident(node: ohm.Node): A.Ident {
  return { name: node.sourceString, span: span(node) };
}

function optional<T>(node: ohm.Node, f: (n: ohm.Node) => T): T | undefined {
  return node.numChildren > 0 ? f(node.child(0)) : undefined;
}

const WIDTHS = { u8: 8, u16: 16, u32: 32 } as const;

/** A layout statement as parsed, before `spec`, `rest` and `use` are taken out of the body. */
type BodyStmt = A.LayoutStmt | { spec: string } | { rest: A.RestRule } | { use: A.Ident };

/** A body's statements, with each `repeat` already expanded in place. */
function bodyOf(stmts: ohm.Node): BodyStmt[] {
  return stmts.children.flatMap((c) => c.ast() as BodyStmt | BodyStmt[]);
}

/** A field-level `when` as parsed: expanded at once into register variants. */
interface FieldWhen {
  readonly kind: "fieldWhen";
  readonly guard: A.Guard;
  readonly then: readonly RegisterItem[];
  readonly otherwise: readonly RegisterItem[];
  readonly span: Span;
}
type RegisterItem = A.Field | FieldWhen;
const isFieldWhen = (i: RegisterItem): i is FieldWhen => "kind" in i && i.kind === "fieldWhen";

/**
 * A register whose fields differ by arm (`when G { [15] a ... } else { [15] b ... }`
 * inside the register) becomes the layout-level `when` it stands for, with one
 * whole register per arm: the compiler and the reference see the same tree
 * they would for the register written out once per arm.
 */
function registerVariants(items: readonly RegisterItem[], before: readonly A.Field[], register: (fields: A.Field[]) => A.Register): A.LayoutStmt {
  const at = items.findIndex(isFieldWhen);
  if (at < 0) return register([...before, ...(items as A.Field[])]);
  const w = items[at] as FieldWhen;
  const prefix = [...before, ...(items.slice(0, at) as A.Field[])];
  const after = items.slice(at + 1);
  const arm = (chosen: readonly RegisterItem[]): A.LayoutStmt[] => [registerVariants([...chosen, ...after], prefix, register)];
  return { kind: "when", guard: w.guard, then: arm(w.then), otherwise: w.otherwise.length > 0 || after.length > 0 || prefix.length > 0 ? arm(w.otherwise) : [], span: w.span };
}

/** One copy of a repeated statement: names suffixed with the index, offsets moved, the index substituted. */
function shiftStmt(st: A.LayoutStmt, index: string, i: number, by: number): A.LayoutStmt {
  if (st.kind === "register") {
    return { ...st, name: { ...st.name, name: `${st.name.name}${i}` }, offset: { ...st.offset, value: st.offset.value + by } };
  }
  return {
    ...st,
    guard: substGuard(st.guard, index, i),
    then: st.then.map((x) => shiftStmt(x, index, i, by)),
    otherwise: st.otherwise.map((x) => shiftStmt(x, index, i, by)),
  };
}

function substGuard(g: A.Guard, index: string, i: number): A.Guard {
  switch (g.kind) {
    case "not":
      return { ...g, operand: substGuard(g.operand, index, i) };
    case "and":
    case "or":
      return { ...g, operands: g.operands.map((o) => substGuard(o, index, i)) };
    case "compare": {
      if (g.valueName?.name !== index) return g;
      const { valueName: _index, ...rest } = g;
      return { ...rest, value: i };
    }
  }
}

/** `##` comment lines directly above a position: documentation that reaches the generated docs. */
function docAbove(pos: number): string | undefined {
  const text = current.text;
  const lines: string[] = [];
  let end = text.lastIndexOf("\n", pos - 1);
  while (end > 0) {
    const start = text.lastIndexOf("\n", end - 1) + 1;
    const m = /^\s*##(?!#) ?(.*)$/.exec(text.slice(start, end));
    if (!m) break;
    lines.unshift(m[1].trimEnd());
    end = start - 1;
  }
  // Only when nothing but indentation stands between the comment and the item.
  const lineStart = text.lastIndexOf("\n", pos - 1) + 1;
  if (text.slice(lineStart, pos).trim() !== "") return undefined;
  return lines.length ? lines.join("\n") : undefined;
}

/** A `## ...` comment after an item on its own line. */
function docAfter(pos: number): string | undefined {
  const eol = current.text.indexOf("\n", pos);
  const m = /^[\s;]*##(?!#) ?(.*)$/.exec(current.text.slice(pos, eol < 0 ? undefined : eol));
  return m ? m[1].trimEnd() : undefined;
}
const UNITS: Record<string, number> = { K: 1 << 10, M: 1 << 20, G: 2 ** 30 };

const ACTIONS: ohm.ActionDict<unknown> = {
  File(items) {
    return items.children.map((c) => c.ast());
  },
  Include(_kw, path) {
    return { kind: "include", path: path.ast(), span: span(this) } satisfies A.Include;
  },
  Layout(kind, name, id, size, hidden, _o, stmts, _c) {
    const body = bodyOf(stmts);
    const spec = body.find((s): s is { spec: string } => "spec" in s);
    const rest = body.find((s): s is { rest: A.RestRule } => "rest" in s);
    const uses = body.filter((s): s is { use: A.Ident } => "use" in s).map((u) => u.use);
    const [first, ...others] = id.ast() as A.NumberLit[];
    const doc = docAbove(base + this.source.startIdx);
    return {
      kind: "layout",
      layoutKind: kind.sourceString as A.LayoutKind,
      name: ident(name),
      id: first,
      ...(others.length ? { otherIds: others } : {}),
      size: optional(size, (n) => n.ast()),
      hiddenReason: optional(hidden, (n) => n.ast()),
      spec: spec?.spec,
      body: body.filter((s): s is A.LayoutStmt => "kind" in s),
      rest: rest?.rest,
      ...(uses.length ? { uses } : {}),
      ...(doc ? { doc } : {}),
      span: span(this),
    } satisfies A.Layout;
  },
  LayoutId(_kw, ids) {
    return ids.asIteration().children.map((n) => n.ast());
  },
  RegisterBlock(_kw, name, _o, stmts, _c) {
    const body = bodyOf(stmts).filter((s): s is A.LayoutStmt => "kind" in s);
    return { kind: "registers", name: ident(name), body, span: span(this) } satisfies A.RegisterBlock;
  },
  Use(_kw, name, _semi) {
    return { use: ident(name) };
  },
  RegisterSpec(_kw, text) {
    return text.ast();
  },
  Repeat(_kw, index, _in, first, _dots, last, _stride, stride, _when, guard, _o, stmts, _c) {
    const from = (first.ast() as A.NumberLit).value;
    const to = (last.ast() as A.NumberLit).value;
    const step = (stride.ast() as A.NumberLit).value;
    const body = bodyOf(stmts).filter((s): s is A.LayoutStmt => "kind" in s);
    const g = optional(guard, (n) => n.ast() as A.Guard);
    const out: A.LayoutStmt[] = [];
    // An inverted or huge range is a mistake, not a loop to run: cap it at the 1024 dwords of a function.
    for (let i = from; i <= to && i - from < 1024; i++) {
      const copies = body.map((st) => shiftStmt(st, index.sourceString, i, i * step));
      out.push(...(g ? [{ kind: "when", guard: substGuard(g, index.sourceString, i), then: copies, otherwise: [], span: span(this) } satisfies A.When] : copies));
    }
    return out;
  },
  LayoutSize(_kw, v) {
    return v.ast();
  },
  SizeFrom(_kw, path, _star, scale, _plus, add) {
    const s = optional(scale, (n) => n.ast() as A.NumberLit);
    const a = optional(add, (n) => n.ast() as A.NumberLit);
    return { path: path.ast(), scale: s?.value ?? 1, add: a?.value ?? 0, span: span(this) } satisfies A.SizeFrom;
  },
  LayoutHidden(_kw, reason) {
    return reason.ast();
  },
  Rest(_kw, attribute, policy, _semi) {
    const rest: A.RestRule = { attribute: attribute.sourceString as A.Attribute, policy: policy.ast(), span: span(this) };
    return { rest };
  },
  Spec(_kw, text) {
    return { spec: text.ast() };
  },
  Register(_kw, name, _at, offset, width, spec, _o, items, _c) {
    const doc = docAbove(base + this.source.startIdx);
    const citation = optional(spec, (n) => n.ast() as string);
    const register = (fields: A.Field[]): A.Register => ({
      kind: "register",
      name: ident(name),
      offset: offset.ast(),
      width: WIDTHS[width.sourceString as keyof typeof WIDTHS],
      fields,
      ...(citation !== undefined ? { spec: citation } : {}),
      ...(doc ? { doc } : {}),
      span: span(this),
    });
    return registerVariants(items.children.map((c) => c.ast() as RegisterItem), [], register);
  },
  FieldWhen(_kw, guard, _o, then, _c, otherwise) {
    return {
      kind: "fieldWhen",
      guard: guard.ast(),
      then: then.children.map((c) => c.ast() as RegisterItem),
      otherwise: optional(otherwise, (n) => n.ast() as RegisterItem[]) ?? [],
      span: span(this),
    } satisfies FieldWhen;
  },
  FieldElse(_kw, body) {
    const b = body.ast() as FieldWhen | RegisterItem[];
    return Array.isArray(b) ? b : [b];
  },
  FieldElseBlock(_o, items, _c) {
    return items.children.map((c) => c.ast() as RegisterItem);
  },
  Field(bits, name, attribute, constant, policy, _semi) {
    const [hi, lo] = bits.ast() as [number, number];
    const doc = [docAbove(base + this.source.startIdx), docAfter(base + this.source.endIdx)].filter(Boolean).join("\n");
    return {
      ...(doc ? { doc } : {}),
      hi,
      lo,
      bitsSpan: span(bits),
      name: name.sourceString === "-" ? undefined : name.sourceString,
      nameSpan: span(name),
      attribute: attribute.sourceString as A.Attribute,
      attributeSpan: span(attribute),
      ...(constant.numChildren > 0 ? { constant: span(constant) } : {}),
      policy: policy.ast(),
      span: span(this),
    } satisfies A.Field;
  },
  BitRange(_o, hi, _colon, lo, _c) {
    const h = (hi.ast() as A.NumberLit).value;
    const l = optional(lo, (n) => (n.ast() as A.NumberLit).value);
    return [h, l ?? h];
  },
  PolicyPass(_kw, _o, read, _c) {
    return { kind: "pass", ...(read.numChildren > 0 ? { readOnly: true } : {}), span: span(this) };
  },
  PolicyEmulate(_kw, _o, init, _c) {
    return { kind: "emulate", init: optional(init, (n) => n.ast()) ?? { kind: "hw" }, span: span(this) };
  },
  PolicyHide(_kw, _o, value, _c) {
    return { kind: "hide", value: optional(value, (n) => (n.ast() as A.NumberLit).value) ?? 0, span: span(this) };
  },
  PolicyTrap(_kw, _o, hook, _comma, init, _c) {
    return {
      kind: "trap",
      hook: ident(hook),
      init: optional(init, (n) => n.ast()) ?? { kind: "hw" },
      span: span(this),
    };
  },
  InitValue(v) {
    if (v.ctorName === "number") return { kind: "const", value: (v.ast() as A.NumberLit).value } satisfies A.InitValue;
    const name = v.sourceString;
    return (name === "hw" ? { kind: "hw" } : { kind: "link", link: name }) satisfies A.InitValue;
  },
  When(_kw, guard, _o, then, _c, otherwise) {
    return {
      kind: "when",
      guard: guard.ast(),
      then: bodyOf(then).filter((s): s is A.LayoutStmt => "kind" in s),
      otherwise: optional(otherwise, (n) => n.ast()) ?? [],
      span: span(this),
    } satisfies A.When;
  },
  Else(_kw, body) {
    const b = body.ast();
    return Array.isArray(b) ? b : [b];
  },
  ElseBlock(_o, stmts, _c) {
    return bodyOf(stmts).filter((s): s is A.LayoutStmt => "kind" in s);
  },
  GuardOr(first, _ops, rest) {
    const operands: A.Guard[] = [first.ast(), ...rest.children.map((c) => c.ast())];
    return operands.length === 1 ? operands[0] : { kind: "or", operands, span: span(this) };
  },
  GuardAnd(first, _ops, rest) {
    const operands: A.Guard[] = [first.ast(), ...rest.children.map((c) => c.ast())];
    return operands.length === 1 ? operands[0] : { kind: "and", operands, span: span(this) };
  },
  GuardNot_not(_bang, operand) {
    return { kind: "not", operand: operand.ast(), span: span(this) };
  },
  GuardNot_paren(_o, inner, _c) {
    return inner.ast();
  },
  GuardNot_compare(path, op, value) {
    const hasOp = op.numChildren > 0;
    return {
      kind: "compare",
      path: path.ast(),
      op: hasOp ? (op.child(0).sourceString as A.Guard & { kind: "compare" } extends { op: infer O } ? O : never) : "nonzero",
      ...(hasOp ? value.child(0).ast() as { value: number; valueName?: A.Ident } : { value: 0 }),
      span: span(this),
    };
  },
  GuardValue(v) {
    return v.ctorName === "number" ? { value: (v.ast() as A.NumberLit).value } : { value: 0, valueName: ident(v) };
  },
  FieldPath(first, _dots, rest) {
    return { parts: [ident(first), ...rest.children.map(ident)], span: span(this) } satisfies A.FieldPath;
  },
  Device(_kw, name, _match, matches, _o, stmts, _c) {
    return {
      kind: "device",
      name: name.ast(),
      matches: matches.asIteration().children.map((m) => m.ast()),
      stmts: stmts.children.map((s) => s.ast()),
      span: span(this),
    } satisfies A.Device;
  },
  DeviceItem(stmt, _semi) {
    return stmt.ast();
  },
  MatchIds(ids, _kw, sub) {
    const [vendor, device] = ids.ast() as [number | undefined, number | undefined];
    const s = optional(sub, (n) => n.ast() as [number | undefined, number | undefined]);
    return { kind: "ids", vendor, device, subsystemVendor: s?.[0], subsystem: s?.[1], span: span(this) };
  },
  MatchClass(_kw, value, _slash, mask) {
    const m = optional(mask, (n) => (n.ast() as A.NumberLit).value);
    return { kind: "class", value: (value.ast() as A.NumberLit).value, mask: m ?? 0xffffff, span: span(this) };
  },
  idPair(a, _colon, b) {
    return [a.ast(), b.ast()];
  },
  idHalf_hex(_a, _b, _c, _d) {
    return parseInt(this.sourceString, 16);
  },
  idHalf_any(_star) {
    return undefined;
  },
  Allow(_kw, names) {
    return { kind: "allow", names: names.asIteration().children.map(ident), span: span(this) };
  },
  HideCaps(_kw, names) {
    return { kind: "hide", names: names.asIteration().children.map(ident), span: span(this) };
  },
  Override(_kw, path, policy) {
    return { kind: "override", path: path.ast(), policy: policy.ast(), span: span(this) };
  },
  SetId(_kw, assigns) {
    return { kind: "ids", ids: assigns.asIteration().children.map((a) => a.ast()), span: span(this) };
  },
  IdAssign(name, _eq, value) {
    return { name: ident(name), value: value.ast() };
  },
  BarSize(_kw, index, _size, size) {
    return { kind: "bar", index: index.ast(), size: size.ast(), span: span(this) };
  },
  RomSize(_kw, _size, size) {
    return { kind: "rom", size: size.ast(), span: span(this) };
  },
  PassBytes(_kw, first, _dots, last, attribute) {
    const f = first.ast() as A.NumberLit;
    return {
      kind: "passBytes",
      first: f,
      last: optional(last, (n) => n.ast() as A.NumberLit) ?? f,
      attribute: (optional(attribute, (n) => n.sourceString) ?? "RW") as A.Attribute,
      span: span(this),
    };
  },
  Permissive(_kw) {
    return { kind: "permissive", span: span(this) };
  },
  Reassign(_kw) {
    return { kind: "reassign", span: span(this) };
  },
  Image(_kw, name, _o, stmts, _c) {
    return { kind: "image", name: name.ast(), stmts: stmts.children.map((s) => s.ast()), span: span(this) } satisfies A.Image;
  },
  ImageVpd(_kw, text) {
    return { kind: "vpd", text: text.ast(), span: span(this) };
  },
  ImageBlock(kind, name, _at, offset, _o, assigns, _c) {
    return {
      kind: "block",
      layoutKind: kind.sourceString as A.LayoutKind,
      name: ident(name),
      offset: optional(offset, (n) => n.ast()),
      assigns: assigns.children.map((a) => a.ast()),
      span: span(this),
    };
  },
  Assign(path, _eq, value, _semi) {
    return { path: path.ast(), value: value.ast(), span: span(this) } satisfies A.Assign;
  },
  size(value, unit) {
    const t = value.sourceString;
    const n = t.startsWith("0x") ? parseInt(t.slice(2), 16) : parseInt(t, 10);
    return n * (unit.numChildren > 0 ? UNITS[unit.sourceString] : 1);
  },
  number(_n) {
    const t = this.sourceString;
    const value = t.startsWith("0x") ? parseInt(t.slice(2), 16) : t.startsWith("0b") ? parseInt(t.slice(2), 2) : parseInt(t, 10);
    return { value, span: span(this) } satisfies A.NumberLit;
  },
  string(_o, chars, _c) {
    return chars.sourceString;
  },
  _iter(...children) {
    return children.map((c) => c.ast());
  },
};

/** Deeper nesting than any rule file needs; far below where Ohm's recursion overflows the stack. */
export const MAX_NESTING = 64;
/**
 * Longest rule text parsed. Ohm's memo table costs about 1 KB per byte of the
 * text it matches (500 KB took 490 MB); files are matched one top-level item at
 * a time, so the cost follows the largest item, and this caps the worst case.
 */
export const MAX_RULES_BYTES = 256 * 1024;

/**
 * Split a file after each `}` that closes a top-level item (outside comments
 * and strings), so that each piece is matched on its own. Unbalanced text ends
 * up in one piece whose match fails where the grammar says it does.
 */
function topLevelPieces(text: string): [number, number][] {
  const out: [number, number][] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "#") {
      while (i < text.length && text[i] !== "\n") i++;
    } else if (c === '"') {
      i++;
      while (i < text.length && text[i] !== '"' && text[i] !== "\n") i++;
    } else if (c === "{") depth++;
    else if (c === "}" && --depth <= 0) {
      if (depth < 0) break;
      out.push([start, i + 1]);
      start = i + 1;
    }
  }
  out.push([start, text.length]);
  return out;
}

/**
 * Where nesting first goes deeper than MAX_NESTING, counting what the grammar
 * recurses on: braces and parentheses, `!` prefixes, and `else when` chains (each
 * link nests the next `when`). A linear scan, done before Ohm sees the text.
 */
export function tooDeepAt(text: string): number | undefined {
  const chains: number[] = [0];
  let chainSum = 0;
  let nots = 0;
  let lastWord = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "#") {
      while (i < text.length && text[i] !== "\n") i++;
      continue;
    }
    if (c === '"') {
      i++;
      while (i < text.length && text[i] !== '"' && text[i] !== "\n") i++;
      continue;
    }
    if (/\s/.test(c)) continue;
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i, i + 64))?.[0];
    if (word) {
      if (word === "when") {
        const level = chains.length - 1;
        if (lastWord === "else") {
          chains[level]++;
          chainSum++;
        } else {
          chainSum -= chains[level];
          chains[level] = 0;
        }
      }
      if (word !== "else" && word !== "when") nots = 0;
      lastWord = word;
      i += word.length - 1;
    } else {
      lastWord = "";
      if (c === "(" || c === "{") chains.push(0);
      else if ((c === ")" || c === "}") && chains.length > 1) chainSum -= chains.pop()!;
      else if (c === "!" && text[i + 1] !== "=") nots++;
      else if (c !== "!") nots = 0;
    }
    if (chains.length - 1 + chainSum + nots > MAX_NESTING) return i;
  }
  return undefined;
}

/** On failure, `partial` holds the top-level items that parse on their own (for editors). */
export type ParseResult = { ok: true; file: A.RuleFile } | { ok: false; diagnostics: Diagnostic[]; partial: A.RuleFile };

/** Parse one rule file. Syntax errors come back as diagnostics, never as raw Ohm text. */
export function parseRules(path: string, text: string): ParseResult {
  const source = new SourceFile(path, text);
  if (text.length > MAX_RULES_BYTES) {
    return { ok: false, diagnostics: [error("E003", `rule file is larger than ${MAX_RULES_BYTES / 1024} KiB`, { source, start: MAX_RULES_BYTES, end: MAX_RULES_BYTES + 1 },
      "split it into files that `include` each other")], partial: { path, items: [] } };
  }
  const deep = tooDeepAt(text);
  if (deep !== undefined) {
    return { ok: false, diagnostics: [error("E002", `nesting deeper than ${MAX_NESTING} levels`, { source, start: deep, end: deep + 1 },
      "flatten the guard or the `else when` chain; no register layout needs this depth")], partial: { path, items: [] } };
  }
  const { grammar, semantics } = built();
  const items: A.Item[] = [];
  for (const [start, end] of topLevelPieces(text)) {
    const match = grammar.match(text.slice(start, end));
    if (match.failed()) return syntaxFailure(source, start + match.getRightmostFailurePosition());
    current = source;
    base = start;
    items.push(...(semantics(match).ast() as A.Item[]));
  }
  return { ok: true, file: { path, items } };
}

/** Every syntax error of the file (syntax-errors.ts), and the items that parse on their own. */
function syntaxFailure(source: SourceFile, failedAt: number): ParseResult {
  const { grammar, semantics } = built();
  const { diagnostics, parsed } = syntaxErrors(grammar, source, failedAt);
  current = source;
  const items = parsed.flatMap(({ match, start }) => {
    base = start;
    return semantics(match).ast() as A.Item[];
  });
  base = 0;
  return { ok: false, diagnostics, partial: { path: source.path, items } };
}

/** The source of a parsed file, for diagnostics about the file as a whole. */
export function sourceOf(file: A.RuleFile): SourceFile | undefined {
  for (const item of file.items) return item.span.source;
  return undefined;
}
