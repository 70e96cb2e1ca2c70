// Lower a validated layout to a template: masks relative to the layout's base,
// one piece per register, guards and sizes resolved to bit positions. Pure:
// every check is the validate stage's; on a layout that failed validation this
// still returns (a partial template), it never throws.
import type * as A from "../../syntax/ast.js";
import type { FieldOverride } from "../resolve/device.js";
import { isResolved, layoutScopes, resolveFieldPath } from "../resolve/scopes.js";
import { sourceRef } from "../source-ref.js";
import type { FieldInfo, GuardExpr, HookPart, InitPart, Piece, PieceMasks, RestInfo, Template, TemplateSize } from "../template.js";
import { fieldMask } from "../field-mask.js";
import { isConstant, lowerBits, policyDetail } from "./bits.js";

export function lowerLayout(
  layout: A.Layout,
  overrides: ReadonlyMap<string, FieldOverride> = new Map(),
  /** Every layout by name, for guards and sizes that read another capability's field. */
  others: ReadonlyMap<string, A.Layout> = new Map(),
): Template {
  const scopes = layoutScopes(layout);
  const resolve = (path: A.FieldPath) => {
    const r = resolveFieldPath(path, "", layout, scopes, others);
    return isResolved(r) ? r : undefined;
  };

  const lowerGuard = (g: A.Guard): GuardExpr => {
    switch (g.kind) {
      case "not":
        return { op: "not", operand: lowerGuard(g.operand) };
      case "and":
      case "or":
        return { op: g.kind, operands: g.operands.map(lowerGuard) };
      case "compare": {
        const r = resolve(g.path);
        const path = g.path.parts.map((x) => x.name).join(".");
        if (!r) return { op: "nonzero", path, offset: 0, width: 8, lo: 0, hi: 0, value: 0 };
        return { op: g.op, path, ...(r.layout ? { layout: r.layout } : {}), offset: r.reg.offset.value, width: r.reg.width, lo: r.field.lo, hi: r.field.hi, value: g.value };
      }
    }
  };
  const guards = scopes.guards.map(lowerGuard);

  let size: TemplateSize = layout.layoutKind === "header" ? { kind: "fixed", bytes: 64 } : { kind: "registers" };
  if (layout.size && "value" in layout.size) size = { kind: "fixed", bytes: layout.size.value };
  else if (layout.size) {
    const r = resolve(layout.size.path);
    let minimum = 0;
    for (const s of scopes.scopes) if (s.guard < 0) minimum = Math.max(minimum, s.register.offset.value + s.register.width / 8);
    if (r) {
      size = {
        kind: "field", path: layout.size.path.parts.map((x) => x.name).join("."), ...(r.layout ? { layout: r.layout } : {}), offset: r.reg.offset.value, width: r.reg.width, lo: r.field.lo, hi: r.field.hi,
        scale: layout.size.scale, add: layout.size.add, minimum,
      };
    }
  }

  const pieces: Piece[] = [];
  const fields: FieldInfo[] = [];
  for (const scope of scopes.scopes) {
    const reg = scope.register;
    const shift = (reg.offset.value & 3) * 8;
    let covered = 0;
    let snapshot = 0;
    let hwRead = 0, virtRead = 0, virtWrite = 0, virtW1C = 0, hwWrite = 0, preserve = 0;
    let attrWritable = 0, attrW1C = 0, attrRsvdZ = 0;
    const inits: InitPart[] = [];
    const hooks: HookPart[] = [];
    for (const f of reg.fields) {
      // Bits validation refused (reversed, past the register, overlapping) are left out.
      if (f.hi < f.lo || f.hi >= reg.width) continue;
      const m = (fieldMask(f.hi, f.lo) << shift) >>> 0;
      if ((covered & m) !== 0) continue;
      covered |= m;

      const override = f.name ? overrides.get(`${reg.name.name}.${f.name}`) : undefined;
      const policy = override?.policy ?? f.policy;
      const constant = isConstant(f);
      const bits = lowerBits(m, f.attribute, policy, f.lo + shift, constant);
      snapshot |= bits.snapshot;
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
      if (policy.kind === "trap") hooks.push({ hook: policy.hook.name, mask: m });

      fields.push({
        register: reg.name.name,
        field: f.name,
        offset: reg.offset.value,
        width: reg.width,
        hi: f.hi,
        lo: f.lo,
        attribute: f.attribute,
        policy: policy.kind,
        detail: policyDetail(policy, constant),
        guard: scope.guard,
        source: sourceRef(f.span),
        ...(override ? { overriddenBy: override.source } : {}),
        ...(f.doc ? { doc: f.doc } : {}),
        ...(reg.doc ? { registerDoc: reg.doc } : {}),
        ...(reg.spec ? { registerSpec: reg.spec } : {}),
      });
    }
    const u = (x: number) => x >>> 0;
    const masks: PieceMasks = {
      covered: u(covered), snapshot: u(snapshot), hwRead: u(hwRead), virtRead: u(virtRead), virtWrite: u(virtWrite), virtW1C: u(virtW1C),
      hwWrite: u(hwWrite), preserve: u(preserve), attrWritable: u(attrWritable), attrW1C: u(attrW1C), attrRsvdZ: u(attrRsvdZ),
    };
    pieces.push({ register: reg.name.name, guard: scope.guard, dword: reg.offset.value >> 2, masks, inits, hooks });
  }

  let rest: RestInfo | undefined;
  if (layout.rest) {
    const r = layout.rest;
    const constant = isConstant(r);
    const { init, ...masks } = lowerBits(0xffffffff, r.attribute, r.policy, 0, constant);
    rest = { attribute: r.attribute, policy: r.policy.kind, detail: policyDetail(r.policy, constant), masks, init, source: sourceRef(r.span) };
  }

  return {
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
}
