// Every check on one layout, with a device file's overrides applied or not:
// IDs, guards and sizes, register placement, fields, policies, hooks, `rest`.
// Collects all errors; lowering happens only after this stage is clean.
import { error, type Diagnostic, type Span } from "../../diag/diagnostic.js";
import type * as A from "../../syntax/ast.js";
import { fieldMask } from "../field-mask.js";
import type { FieldOverride } from "../resolve/device.js";
import { coexist, isResolved, layoutScopes, type RegisterScope, resolveFieldPath } from "../resolve/scopes.js";
import { sourceRef } from "../source-ref.js";
import { checkCombination, checkRest, checkStable } from "./policy.js";

export function validateLayout(
  layout: A.Layout,
  overrides: ReadonlyMap<string, FieldOverride> = new Map(),
  others: ReadonlyMap<string, A.Layout> = new Map(),
): Diagnostic[] {
  const ds: Diagnostic[] = [];
  const scopes = layoutScopes(layout);

  const idLimit = layout.layoutKind === "header" ? 0x7f : layout.layoutKind === "capability" ? 0xff : 0xffff;
  for (const id of [layout.id, ...(layout.otherIds ?? [])]) {
    if (id.value <= idLimit) continue;
    const what = layout.layoutKind === "header" ? "header type" : `${layout.layoutKind} ID`;
    ds.push(error("E117", `${what} 0x${id.value.toString(16)} is out of range`, id.span, `a ${what} is at most 0x${idLimit.toString(16)}`));
  }

  // Guards and sizes read fields that exist, that cannot change by themselves.
  const checkPath = (path: A.FieldPath, what: string, kind: string) => {
    const r = resolveFieldPath(path, what, layout, scopes, others);
    if (isResolved(r)) ds.push(...checkStable(r.field, path, kind));
    else ds.push(r);
  };
  const checkGuard = (g: A.Guard): void => {
    if (g.kind === "not") return checkGuard(g.operand);
    if (g.kind !== "compare") return g.operands.forEach(checkGuard);
    checkPath(g.path, "guard", "a guard");
    if (g.valueName) {
      ds.push(error("E132", `\`${g.valueName.name}\` is not a number or the index of an enclosing \`repeat\``, g.valueName.span,
        `compare with a number, or with the index a \`repeat INDEX in FIRST..LAST\` names`));
    }
  };
  // Each `when` once (the flattened guards repeat enclosing ones).
  const whens = (body: readonly A.LayoutStmt[]): A.When[] => body.flatMap((s) => (s.kind === "when" ? [s, ...whens(s.then), ...whens(s.otherwise)] : []));
  for (const w of whens(layout.body)) checkGuard(w.guard);
  if (layout.size && !("value" in layout.size)) checkPath(layout.size.path, "size", "a size");
  const fixedSize = layout.size && "value" in layout.size ? layout.size.value : undefined;

  // Registers: placement, names, overlaps.
  const all = scopes.scopes;
  for (let i = 0; i < all.length; i++) {
    const { register: reg } = all[i];
    const off = reg.offset.value;
    const bytes = reg.width / 8;
    if (off % bytes !== 0) {
      ds.push(error("E109", `register \`${reg.name.name}\` at 0x${off.toString(16)} is not aligned to its ${reg.width}-bit width`, reg.offset.span,
        `a u${reg.width} register starts at a multiple of ${bytes}; split it into narrower registers`));
    }
    if (off + bytes > 0x1000) {
      ds.push(error("E103", `register \`${reg.name.name}\` at 0x${off.toString(16)} lies past the 4 KiB configuration space`, reg.offset.span,
        `offsets are relative to the layout's base and stay below 0x1000`));
    } else if (fixedSize !== undefined && off + bytes > fixedSize) {
      ds.push(error("E103", `register \`${reg.name.name}\` (0x${off.toString(16)}..0x${(off + bytes - 1).toString(16)}) runs past the end of ${layout.name.name} (size 0x${fixedSize.toString(16)})`,
        reg.span, `move the register or raise the layout's size`));
    }
    for (let j = 0; j < i; j++) {
      const other = all[j];
      if (!coexist(all[i], other)) continue;
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

  const hookSites: { scope: RegisterScope; dword: number; hook: string; span: Span }[] = [];
  for (const scope of all) ds.push(...validateFields(scope, overrides, hookSites));

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

  if (layout.rest) ds.push(...checkRest(layout.rest.policy));
  return ds;
}

/** A register's fields: bit ranges, names, overlaps, full coverage, and each policy. */
function validateFields(scope: RegisterScope, overrides: ReadonlyMap<string, FieldOverride>, hookSites: { scope: RegisterScope; dword: number; hook: string; span: Span }[]): Diagnostic[] {
  const ds: Diagnostic[] = [];
  const reg = scope.register;
  const shift = (reg.offset.value & 3) * 8;
  let covered = 0;
  let bitsOk = true;
  const fieldNames = new Map<string, A.Field>();
  for (const f of reg.fields) {
    if (f.hi < f.lo) {
      ds.push(error("E102", `bit range [${f.hi}:${f.lo}] is reversed`, f.bitsSpan, `write the high bit first: [${f.lo}:${f.hi}]`));
      bitsOk = false;
      continue;
    }
    if (f.hi >= reg.width) {
      ds.push(error("E102", `field \`${f.name ?? "-"}\` bits [${f.hi}:${f.lo}] run past the ${reg.width}-bit register \`${reg.name.name}\``, f.bitsSpan,
        `bits of a u${reg.width} register are 0..${reg.width - 1}`));
      bitsOk = false;
      continue;
    }
    if (f.name) {
      const prev = fieldNames.get(f.name);
      if (prev) ds.push(error("E104", `duplicate field name \`${f.name}\` in register \`${reg.name.name}\``, f.nameSpan, `the first one is at line ${sourceRef(prev.span).line}`));
      else fieldNames.set(f.name, f);
    }
    const m = (fieldMask(f.hi, f.lo) << shift) >>> 0;
    if ((covered & m) !== 0) {
      const other = reg.fields.find((o) => o !== f && o.hi >= o.lo && ((fieldMask(o.hi, o.lo) << shift) & m) !== 0);
      ds.push(error("E101", `field \`${f.name ?? "-"}\` [${f.hi}:${f.lo}] overlaps field \`${other?.name ?? "-"}\` [${other?.hi}:${other?.lo}] in register \`${reg.name.name}\``,
        f.bitsSpan, `each bit belongs to exactly one field`));
      bitsOk = false;
      continue;
    }
    covered |= m;
    const policy = (f.name ? overrides.get(`${reg.name.name}.${f.name}`)?.policy : undefined) ?? f.policy;
    ds.push(...checkCombination(f, policy, reg.name.name));
    if (policy.kind === "trap") hookSites.push({ scope, dword: reg.offset.value >> 2, hook: policy.hook.name, span: policy.hook.span });
  }
  const full = (fieldMask(reg.width - 1, 0) << shift) >>> 0;
  if (covered >>> 0 !== full && bitsOk) {
    ds.push(error("E115", `register \`${reg.name.name}\` has bits no field describes: ${describeBits(full & ~covered, shift)}`, reg.name.span,
      `describe every bit, e.g. \`${describeBits(full & ~covered, shift).split(", ")[0]} - RsvdP hide\``));
  }
  return ds;
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
