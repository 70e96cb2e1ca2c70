// Validate one layout and lower it to a template: masks relative to the layout's
// base, one piece per register, guards resolved to bit positions.
import { error, type Diagnostic, type Span } from "../diag/diagnostic.js";
import { didYouMean, suggestionHelp } from "../diag/suggest.js";
import type * as A from "../syntax/ast.js";
import type { FieldInfo, GuardExpr, HookPart, InitPart, Piece, PieceMasks, RestInfo, SourceRef, Template, TemplateSize } from "./template.js";
import { registersOf } from "./syntax-walk.js";
import { HOOK_NAMES, isHookName, isLinkName, LINKS } from "./vocabulary.js";

/** A device file's replacement policy for one field, keyed `register.field`. */
export interface FieldOverride {
  readonly policy: A.Policy;
  readonly source: SourceRef;
}

export function sourceRef(span: Span): SourceRef {
  return { path: span.source.path, line: span.source.position(span.start).line };
}

/** How a spec attribute behaves on a write, in five classes. */
type WriteClass = "write" | "w1c" | "readonly" | "rsvdp" | "rsvdz";
export function writeClass(a: A.Attribute): WriteClass {
  switch (a) {
    case "RW":
    case "RWS":
      return "write";
    case "RW1C":
    case "RW1CS":
      return "w1c";
    case "RsvdP":
      return "rsvdp";
    case "RsvdZ":
      return "rsvdz";
    default:
      return "readonly";
  }
}

const fieldMask = (hi: number, lo: number): number => (hi - lo >= 31 ? 0xffffffff : ((1 << (hi - lo + 1)) - 1) << lo) >>> 0;

interface RegisterScope {
  readonly register: A.Register;
  readonly guard: number;
  /** when-arms this register sits in: two registers in different arms of one `when` never coexist. */
  readonly arms: ReadonlyMap<A.When, number>;
}

function coexist(a: RegisterScope, b: RegisterScope): boolean {
  for (const [when, arm] of a.arms) {
    const other = b.arms.get(when);
    if (other !== undefined && other !== arm) return false;
  }
  return true;
}

/** Validate and lower a layout. Returns the template (possibly partial) and every error found. */
export function lowerLayout(
  layout: A.Layout,
  overrides: ReadonlyMap<string, FieldOverride> = new Map(),
  /** Every layout by name, for guards and sizes that read another capability's field. */
  others: ReadonlyMap<string, A.Layout> = new Map(),
): { template: Template; diagnostics: Diagnostic[] } {
  const ds: Diagnostic[] = [];
  const scopes: RegisterScope[] = [];
  const guardAst: (A.Guard | undefined)[] = [];
  const guards: GuardExpr[] = [];

  const idLimit = layout.layoutKind === "header" ? 0x7f : layout.layoutKind === "capability" ? 0xff : 0xffff;
  for (const id of [layout.id, ...(layout.otherIds ?? [])]) {
    if (id.value <= idLimit) continue;
    const what = layout.layoutKind === "header" ? "header type" : `${layout.layoutKind} ID`;
    ds.push(error("E117", `${what} 0x${id.value.toString(16)} is out of range`, id.span, `a ${what} is at most 0x${idLimit.toString(16)}`));
  }

  // Flatten the when-tree into registers with a combined guard each.
  const walk = (body: readonly A.LayoutStmt[], guard: number, arms: Map<A.When, number>, guardNode: A.Guard | undefined) => {
    for (const stmt of body) {
      if (stmt.kind === "register") {
        scopes.push({ register: stmt, guard, arms });
        continue;
      }
      const thenNode: A.Guard = guardNode ? { kind: "and", operands: [guardNode, stmt.guard], span: stmt.guard.span } : stmt.guard;
      const notThis: A.Guard = { kind: "not", operand: stmt.guard, span: stmt.guard.span };
      const elseNode: A.Guard = guardNode ? { kind: "and", operands: [guardNode, notThis], span: stmt.guard.span } : notThis;
      guardAst.push(thenNode);
      const thenIdx = guardAst.length - 1;
      walk(stmt.then, thenIdx, new Map([...arms, [stmt, 0]]), thenNode);
      if (stmt.otherwise.length > 0) {
        guardAst.push(elseNode);
        walk(stmt.otherwise, guardAst.length - 1, new Map([...arms, [stmt, 1]]), elseNode);
      }
    }
  };
  walk(layout.body, -1, new Map(), undefined);

  const registersByName = new Map<string, RegisterScope[]>();
  for (const s of scopes) {
    const list = registersByName.get(s.register.name.name) ?? [];
    list.push(s);
    registersByName.set(s.register.name.name, list);
  }

  const resolveField = (path: A.FieldPath, what: string): { reg: A.Register; field: A.Field; layout?: string } | undefined => {
    if (path.parts.length === 3 && path.parts[0].name !== layout.name.name) return resolveElsewhere(path, what);
    const parts = path.parts.length === 3 ? path.parts.slice(1) : path.parts;
    const [regName, fieldName] = parts.map((p) => p.name);
    const regs = registersByName.get(regName);
    if (!regs || parts.length !== 2) {
      const candidates = [...registersByName.keys()].join(", ");
      ds.push(
        error("E110", `${what} \`${path.parts.map((p) => p.name).join(".")}\` names no register.field of ${layout.name.name}`, path.span,
          (parts.length === 2 && didYouMean(regName, registersByName.keys())) || `write REGISTER.FIELD; registers here: ${candidates}`),
      );
      return undefined;
    }
    const reg = regs[0].register;
    const field = reg.fields.find((f) => f.name === fieldName);
    if (!field) {
      const names = reg.fields.flatMap((f) => (f.name ? [f.name] : []));
      ds.push(error("E110", `register \`${regName}\` has no field \`${fieldName}\``, parts[1].span, suggestionHelp(fieldName, names, `fields of ${regName}`)));
      return undefined;
    }
    return { reg, field };
  };

  // LAYOUT.REGISTER.FIELD of another layout: read where the device has that capability.
  const resolveElsewhere = (path: A.FieldPath, what: string): { reg: A.Register; field: A.Field; layout: string } | undefined => {
    const [l, r, f] = path.parts;
    const other = others.get(l.name);
    const reg = other ? registersOf(other.body).find((x) => x.name.name === r.name) : undefined;
    const field = reg?.fields.find((x) => x.name === f.name);
    if (!other || !reg || !field) {
      const at = !other ? l : !reg ? r : f;
      const candidates = !other ? [...others.keys()] : !reg ? [...new Set(registersOf(other.body).map((x) => x.name.name))] : reg.fields.flatMap((x) => (x.name ? [x.name] : []));
      ds.push(error("E110", `${what} \`${path.parts.map((p) => p.name).join(".")}\` names no field of another layout`, at.span,
        suggestionHelp(at.name, candidates, !other ? "layouts" : !reg ? `registers of ${l.name}` : `fields of ${r.name}`)));
      return undefined;
    }
    return { reg, field, layout: l.name };
  };

  const lowerGuard = (g: A.Guard): GuardExpr => {
    switch (g.kind) {
      case "not":
        return { op: "not", operand: lowerGuard(g.operand) };
      case "and":
      case "or":
        return { op: g.kind, operands: g.operands.map(lowerGuard) };
      case "compare": {
        const r = resolveField(g.path, "guard");
        if (r) checkStable(r.field, g.path, "a guard", ds);
        if (g.valueName) {
          ds.push(error("E132", `\`${g.valueName.name}\` is not a number or the index of an enclosing \`repeat\``, g.valueName.span,
            `compare with a number, or with the index a \`repeat INDEX in FIRST..LAST\` names`));
        }
        const path = g.path.parts.map((x) => x.name).join(".");
        if (!r) return { op: "nonzero", path, offset: 0, width: 8, lo: 0, hi: 0, value: 0 };
        return { op: g.op, path, ...(r.layout ? { layout: r.layout } : {}), offset: r.reg.offset.value, width: r.reg.width, lo: r.field.lo, hi: r.field.hi, value: g.value };
      }
    }
  };
  for (const g of guardAst) guards.push(lowerGuard(g!));

  // Size of the layout.
  let size: TemplateSize = layout.layoutKind === "header" ? { kind: "fixed", bytes: 64 } : { kind: "registers" };
  if (layout.size && "value" in layout.size) size = { kind: "fixed", bytes: layout.size.value };
  else if (layout.size) {
    const r = resolveField(layout.size.path, "size");
    let minimum = 0;
    for (const s of scopes) if (s.guard < 0) minimum = Math.max(minimum, s.register.offset.value + s.register.width / 8);
    if (r) checkStable(r.field, layout.size.path, "a size", ds);
    if (r) {
      size = {
        kind: "field", path: layout.size.path.parts.map((x) => x.name).join("."), ...(r.layout ? { layout: r.layout } : {}), offset: r.reg.offset.value, width: r.reg.width, lo: r.field.lo, hi: r.field.hi,
        scale: layout.size.scale, add: layout.size.add, minimum,
      };
    }
  }

  // Registers: placement, names, overlaps.
  for (let i = 0; i < scopes.length; i++) {
    const { register: reg } = scopes[i];
    const off = reg.offset.value;
    const bytes = reg.width / 8;
    if (off % bytes !== 0) {
      ds.push(error("E109", `register \`${reg.name.name}\` at 0x${off.toString(16)} is not aligned to its ${reg.width}-bit width`, reg.offset.span,
        `a u${reg.width} register starts at a multiple of ${bytes}; split it into narrower registers`));
    }
    if (off + bytes > 0x1000) {
      ds.push(error("E103", `register \`${reg.name.name}\` at 0x${off.toString(16)} lies past the 4 KiB configuration space`, reg.offset.span,
        `offsets are relative to the layout's base and stay below 0x1000`));
    } else if (size.kind === "fixed" && layout.size && off + bytes > size.bytes) {
      ds.push(error("E103", `register \`${reg.name.name}\` (0x${off.toString(16)}..0x${(off + bytes - 1).toString(16)}) runs past the end of ${layout.name.name} (size 0x${size.bytes.toString(16)})`,
        reg.span, `move the register or raise the layout's size`));
    }
    for (let j = 0; j < i; j++) {
      const other = scopes[j];
      if (!coexist(scopes[i], other)) continue;
      if (other.register.name.name === reg.name.name) {
        ds.push(error("E104", `duplicate register name \`${reg.name.name}\` in ${layout.name.name}`, reg.name.span,
          `the first one is at line ${sourceRef(other.register.name.span).line}; registers in different arms of one \`when\` may share a name`));
      }
      const o2 = other.register.offset.value;
      const b2 = other.register.width / 8;
      if (off < o2 + b2 && o2 < off + bytes) {
        ds.push(error("E112", `register \`${reg.name.name}\` overlaps register \`${other.register.name.name}\``, reg.span,
          `put variant layouts in different arms of a \`when\``));
      }
    }
  }

  const pieces: Piece[] = [];
  const fields: FieldInfo[] = [];
  const hookSites: { scope: RegisterScope; dword: number; hook: string; span: Span }[] = [];
  for (const scope of scopes) {
    const reg = scope.register;
    const shift = (reg.offset.value & 3) * 8;
    let covered = 0;
    let hwRead = 0, virtRead = 0, virtWrite = 0, virtW1C = 0, hwWrite = 0, preserve = 0;
    let attrWritable = 0, attrW1C = 0, attrRsvdZ = 0;
    const inits: InitPart[] = [];
    const hooks: HookPart[] = [];
    const fieldNames = new Map<string, A.Field>();
    for (const f of reg.fields) {
      if (f.hi < f.lo) {
        ds.push(error("E102", `bit range [${f.hi}:${f.lo}] is reversed`, f.bitsSpan, `write the high bit first: [${f.lo}:${f.hi}]`));
        continue;
      }
      if (f.hi >= reg.width) {
        ds.push(error("E102", `field \`${f.name ?? "-"}\` bits [${f.hi}:${f.lo}] run past the ${reg.width}-bit register \`${reg.name.name}\``, f.bitsSpan,
          `bits of a u${reg.width} register are 0..${reg.width - 1}`));
        continue;
      }
      if (f.name) {
        const prev = fieldNames.get(f.name);
        if (prev) ds.push(error("E104", `duplicate field name \`${f.name}\` in register \`${reg.name.name}\``, f.nameSpan, `the first one is at line ${sourceRef(prev.span).line}`));
        else fieldNames.set(f.name, f);
      }
      const local = fieldMask(f.hi, f.lo);
      const m = (local << shift) >>> 0;
      if ((covered & m) !== 0) {
        const other = reg.fields.find((o) => o !== f && o.hi >= o.lo && ((fieldMask(o.hi, o.lo) << shift) & m) !== 0);
        ds.push(error("E101", `field \`${f.name ?? "-"}\` [${f.hi}:${f.lo}] overlaps field \`${other?.name ?? "-"}\` [${other?.hi}:${other?.lo}] in register \`${reg.name.name}\``,
          f.bitsSpan, `each bit belongs to exactly one field`));
        continue;
      }
      covered |= m;

      const override = f.name ? overrides.get(`${reg.name.name}.${f.name}`) : undefined;
      const policy = override?.policy ?? f.policy;
      checkCombination(f, policy, reg.name.name, ds);
      const bits = lowerBits(m, f.attribute, policy, f.lo + shift);
      hwRead |= bits.hwRead;
      virtRead |= bits.virtRead;
      virtWrite |= bits.virtWrite;
      virtW1C |= bits.virtW1C;
      hwWrite |= bits.hwWrite;
      preserve |= bits.preserve;
      attrWritable |= bits.attrWritable;
      attrW1C |= bits.attrW1C;
      attrRsvdZ |= bits.attrRsvdZ;
      if (bits.init) inits.push(bits.init);
      if (policy.kind === "trap") {
        hooks.push({ hook: policy.hook.name, mask: m });
        hookSites.push({ scope, dword: reg.offset.value >> 2, hook: policy.hook.name, span: policy.hook.span });
      }

      fields.push({
        register: reg.name.name,
        field: f.name,
        offset: reg.offset.value,
        width: reg.width,
        hi: f.hi,
        lo: f.lo,
        attribute: f.attribute,
        policy: policy.kind,
        detail: policyDetail(policy),
        guard: scope.guard,
        source: sourceRef(f.span),
        ...(override ? { overriddenBy: override.source } : {}),
        ...(f.doc ? { doc: f.doc } : {}),
        ...(reg.doc ? { registerDoc: reg.doc } : {}),
        ...(reg.spec ? { registerSpec: reg.spec } : {}),
      });
    }
    const full = (fieldMask(reg.width - 1, 0) << shift) >>> 0;
    if (covered >>> 0 !== full && ds.every((d) => d.code !== "E101" && d.code !== "E102")) {
      ds.push(error("E115", `register \`${reg.name.name}\` has bits no field describes: ${describeBits(full & ~covered, shift)}`, reg.name.span,
        `describe every bit, e.g. \`${describeBits(full & ~covered, shift).split(", ")[0]} - RsvdP hide\``));
    }
    const u = (x: number) => x >>> 0;
    const masks: PieceMasks = {
      covered: u(covered), hwRead: u(hwRead), virtRead: u(virtRead), virtWrite: u(virtWrite), virtW1C: u(virtW1C),
      hwWrite: u(hwWrite), preserve: u(preserve), attrWritable: u(attrWritable), attrW1C: u(attrW1C), attrRsvdZ: u(attrRsvdZ),
    };
    pieces.push({ register: reg.name.name, guard: scope.guard, dword: reg.offset.value >> 2, masks, inits, hooks });
  }

  // One hook serves a dword: the runtime calls a single handler per trapped
  // dword, so a second hook there (a device file's override too) would silently
  // replace the first, e.g. knock out MSI Enable's.
  for (let i = 0; i < hookSites.length; i++) {
    const a = hookSites[i];
    const clash = hookSites.slice(0, i).find((b) => b.dword === a.dword && b.hook !== a.hook && coexist(a.scope, b.scope));
    if (clash) {
      ds.push(error("E113", `hook \`${a.hook}\` shares dword 0x${(a.dword * 4).toString(16)} of ${layout.name.name} with hook \`${clash.hook}\``, a.span,
        `one hook serves a dword; give the fields of \`${a.scope.register.name.name}\` the hook \`${clash.hook}\`, or emulate them`));
    }
  }

  let rest: RestInfo | undefined;
  if (layout.rest) {
    const r = layout.rest;
    const p = r.policy;
    const constant = p.kind === "hide" ? p.value : (p.kind === "emulate" && p.init.kind === "const") ? p.init.value : 0;
    if (p.kind === "trap" || constant !== 0 || (p.kind === "emulate" && p.init.kind === "link")) {
      ds.push(error("E106", "`rest` takes pass, hide, or emulate from the hardware", p.span, "the rest of a layout has no fields to trap or to give constants"));
    } else {
      const { init, ...masks } = lowerBits(0xffffffff, r.attribute, p, 0);
      rest = { attribute: r.attribute, policy: p.kind, detail: policyDetail(p), masks, init, source: sourceRef(r.span) };
    }
  }

  const template: Template = {
    name: layout.name.name,
    kind: layout.layoutKind,
    id: layout.id.value,
    ...(layout.otherIds?.length ? { otherIds: layout.otherIds.map((n) => n.value) } : {}),
    ...(layout.doc ? { doc: layout.doc } : {}),
    size,
    ...(layout.hiddenReason !== undefined ? { hiddenReason: layout.hiddenReason } : {}),
    ...(layout.spec !== undefined ? { spec: layout.spec } : {}),
    source: sourceRef(layout.span),
    guards,
    pieces,
    fields,
    ...(rest ? { rest } : {}),
  };
  return { template, diagnostics: ds };
}

/** The masks, initial value and hook of bits `m` with one attribute and policy. */
export function lowerBits(m: number, attribute: A.Attribute, policy: A.Policy, lowBit: number): PieceMasks & { init: InitPart | undefined } {
  const cls = writeClass(attribute);
  const writes = cls === "write" || cls === "w1c";
  // pass(read): read from the hardware, never written by the guest.
  const passedWrite = policy.kind === "pass" && writes && policy.readOnly !== true;
  const virtual = policy.kind !== "pass";
  const u = (x: number) => x >>> 0;
  let init: InitPart | undefined;
  if (policy.kind === "emulate" || policy.kind === "trap") init = initPart(policy.init, m, lowBit);
  else if (policy.kind === "hide") init = { mask: m, kind: "const", value: u((policy.value * 2 ** lowBit) & m) };
  const emulated = policy.kind === "emulate" || policy.kind === "trap";
  return {
    covered: u(m),
    hwRead: policy.kind === "pass" ? u(m) : 0,
    virtRead: virtual ? u(m) : 0,
    virtWrite: emulated && cls === "write" ? u(m) : 0,
    virtW1C: emulated && cls === "w1c" ? u(m) : 0,
    hwWrite: passedWrite ? u(m) : 0,
    preserve: !passedWrite && cls !== "w1c" && cls !== "rsvdz" ? u(m) : 0,
    attrWritable: cls === "write" ? u(m) : 0,
    attrW1C: cls === "w1c" ? u(m) : 0,
    attrRsvdZ: cls === "rsvdz" ? u(m) : 0,
    init,
  };
}

function describeBits(mask: number, shift: number): string {
  const local = mask >>> shift;
  const runs: string[] = [];
  let b = 0;
  while (b < 32) {
    if ((local >>> b) & 1) {
      let e = b;
      while (e + 1 < 32 && (local >>> (e + 1)) & 1) e++;
      runs.push(e === b ? `[${b}]` : `[${e}:${b}]`);
      b = e + 1;
    } else b++;
  }
  return runs.join(", ");
}

function initPart(init: A.InitValue, mask: number, shift: number): InitPart {
  switch (init.kind) {
    case "hw":
      return { mask, kind: "hw", value: 0 };
    case "const":
      return { mask, kind: "const", value: ((init.value * 2 ** shift) & mask) >>> 0 };
    case "link":
      return { mask, kind: "link", value: 0, link: init.link };
  }
}

function policyDetail(p: A.Policy): string {
  const init = (i: A.InitValue) => (i.kind === "hw" ? "hw" : i.kind === "const" ? `0x${i.value.toString(16)}` : i.link);
  switch (p.kind) {
    case "pass":
      return p.readOnly ? "read" : "";
    case "emulate":
      return init(p.init);
    case "hide":
      return `0x${p.value.toString(16)}`;
    case "trap":
      return `${p.hook.name}, ${init(p.init)}`;
  }
}

/**
 * Guards and sizes choose which bytes belong to a layout, once, at attach. A
 * field the hardware may change by itself (a status bit, a sticky log pointer,
 * anything the guest writes) would let the device's own state decide what the
 * guest sees: AER's TLP Prefix Log Present (ROS) once grew AER over the hidden
 * DSN. Only fixed capability facts qualify: RO and HwInit.
 */
function checkStable(field: A.Field, path: A.FieldPath, what: string, ds: Diagnostic[]): void {
  if (field.attribute === "RO" || field.attribute === "HwInit") return;
  const name = path.parts.map((p) => p.name).join(".");
  ds.push(error("E130", `${what} reads \`${name}\`, a ${field.attribute} field the hardware or the guest can change`, path.span,
    `guards and sizes may read only RO or HwInit capability fields; size the layout for its largest variant or guard on a capability bit`));
}

/** Attribute and policy combinations that make no sense, and names the language does not know. */
function checkCombination(f: { hi: number; lo: number; name: string | undefined; attribute: A.Attribute }, p: A.Policy, regName: string, ds: Diagnostic[]): void {
  const width = f.hi - f.lo + 1;
  const fits = (v: number) => v >= 0 && v < 2 ** width;
  const reserved = f.attribute === "RsvdP" || f.attribute === "RsvdZ";
  const name = f.name ?? "-";
  if (p.kind === "pass" && f.attribute === "RsvdZ") {
    ds.push(error("E106", `RsvdZ field \`${name}\` in \`${regName}\` is passed through`, p.span,
      `RsvdZ bits must read 0 and be written 0: use \`hide\``));
  }
  if (p.kind === "trap" && reserved) {
    ds.push(error("E106", `reserved field \`${name}\` in \`${regName}\` is trapped`, p.span, `reserved bits carry no behaviour: use \`hide\``));
  }
  const constant = p.kind === "hide" ? p.value : (p.kind === "emulate" || p.kind === "trap") && p.init.kind === "const" ? p.init.value : undefined;
  if (constant !== undefined && !fits(constant)) {
    ds.push(error("E108", `value 0x${constant.toString(16)} does not fit the ${width}-bit field \`${name}\``, p.span,
      `the largest value for ${width} bits is 0x${(2 ** width - 1).toString(16)}`));
  } else if (constant !== undefined && constant !== 0 && reserved) {
    ds.push(error("E106", `reserved field \`${name}\` in \`${regName}\` is given the non-zero value 0x${constant.toString(16)}`, p.span,
      `reserved bits read 0: use \`hide\``));
  }
  if (p.kind === "trap" && !isHookName(p.hook.name)) {
    ds.push(error("E105", `unknown hook \`${p.hook.name}\``, p.hook.span, suggestionHelp(p.hook.name, HOOK_NAMES, "known hooks")));
  }
  const init = p.kind === "emulate" || p.kind === "trap" ? p.init : undefined;
  if (init?.kind === "link" && !isLinkName(init.link)) {
    ds.push(error("E114", `unknown initial value \`${init.link}\``, p.span, `use hw, a number, or one of: ${Object.keys(LINKS).join(", ")}`));
  }
}
