// Build a configuration image from an `image` block: the example devices are
// written in the project's own language, register by register, and the bytes
// (capability IDs, chain links, header type) follow from the layouts.
import type { CompiledRules } from "./pipeline.js";
import type { FieldInfo, Template } from "./template.js";
import { CfgvirtError, error, type Diagnostic } from "../diag/diagnostic.js";
import type * as A from "../syntax/ast.js";
import { evalGuard } from "./guards.js";
import { SimulatedDevice } from "../host/simulated.js";

export interface BuiltImage {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly barSizes: readonly (number | undefined)[];
  readonly romSize: number | undefined;
  /** VPD contents the device model serves behind the VPD capability. */
  readonly vpd: Uint8Array | undefined;
}

export function buildImage(image: A.Image, compiled: CompiledRules): BuiltImage {
  const ds: Diagnostic[] = [];
  const blocks = image.stmts.filter((s): s is Extract<A.ImageStmt, { kind: "block" }> => s.kind === "block");
  const size = blocks.some((b) => b.layoutKind === "extended") ? 4096 : 256;
  const bytes = new Uint8Array(size);
  const words = new Uint32Array(size / 4);
  const view = () => {
    const sim = new SimulatedDevice(new Uint8Array(words.buffer, 0, size));
    return sim;
  };
  const set = (offset: number, width: number, lo: number, hi: number, value: number) => {
    const d = offset >> 2;
    const shift = (offset & 3) * 8 + lo;
    const bits = hi - lo + 1;
    const mask = bits >= 32 ? 0xffffffff : (((1 << bits) - 1) << shift) >>> 0;
    words[d] = ((words[d] & ~mask) | ((value * 2 ** shift) & mask)) >>> 0;
    void width;
  };

  const barSizes: (number | undefined)[] = [];
  let romSize: number | undefined;
  let vpd: Uint8Array | undefined;
  const std: number[] = [];
  // Where each block went, for guards that read another layout's field.
  const offsets = new Map<string, number>();
  const ext: number[] = [];

  for (const stmt of image.stmts) {
    if (stmt.kind === "bar") barSizes[stmt.index.value] = stmt.size;
    else if (stmt.kind === "rom") romSize = stmt.size;
    else if (stmt.kind === "vpd") vpd = new TextEncoder().encode(stmt.text);
  }

  for (const block of blocks) {
    const t = compiled.templatesByName.get(block.name.name);
    if (!t || t.kind !== block.layoutKind) {
      const names = compiled.templates.filter((x) => x.kind === block.layoutKind).map((x) => x.name);
      ds.push(error("E110", `no ${block.layoutKind} layout named \`${block.name.name}\``, block.name.span, `${block.layoutKind} layouts: ${names.join(", ")}`));
      continue;
    }
    const base = block.layoutKind === "header" ? 0 : block.offset?.value;
    if (base === undefined || base % 4 !== 0 || (block.layoutKind === "capability" && (base < 0x40 || base > 0xfc)) ||
      (block.layoutKind === "extended" && (base < 0x100 || base > 0xffc))) {
      ds.push(error("E117", `${block.layoutKind} \`${block.name.name}\` needs a dword-aligned offset in ${block.layoutKind === "extended" ? "0x100..0xffc" : "0x40..0xfc"}`,
        block.offset?.span ?? block.span, `write \`${block.layoutKind} ${block.name.name} @ 0x${block.layoutKind === "extended" ? "100" : "40"} { ... }\``));
      continue;
    }
    if (block.layoutKind === "header") set(0x0e, 8, 0, 6, t.id);
    else if (block.layoutKind === "capability") {
      set(base, 8, 0, 7, t.id);
      std.push(base);
    } else {
      set(base, 32, 0, 15, t.id);
      set(base, 32, 16, 19, 1);
      ext.push(base);
    }
    offsets.set(t.name, base);
    for (const a of block.assigns) assign(t, base, a, view, set, ds, offsets);
  }

  // Chains in declaration order.
  if (std.length > 0) {
    set(0x34, 8, 0, 7, std[0]);
    set(0x06, 16, 4, 4, 1);
  }
  std.forEach((off, i) => set(off + 1, 8, 0, 7, std[i + 1] ?? 0));
  ext.forEach((off, i) => set(off, 32, 20, 31, ext[i + 1] ?? 0));

  if (ds.length > 0) throw new CfgvirtError(ds);
  for (let i = 0; i < size; i++) bytes[i] = (words[i >> 2] >>> ((i & 3) * 8)) & 0xff;
  return { name: image.name, bytes, barSizes, romSize, vpd };
}

function assign(
  t: Template,
  base: number,
  a: A.Assign,
  view: () => SimulatedDevice,
  set: (offset: number, width: number, lo: number, hi: number, value: number) => void,
  ds: Diagnostic[],
  offsets: ReadonlyMap<string, number>,
): void {
  const [regName, fieldName] = a.path.parts.map((p) => p.name);
  // Among same-named registers in variant layouts, the one whose guard holds for the bytes so far.
  const candidates = t.fields.filter((f) => f.register === regName);
  const active = candidates.filter((f) => f.guard < 0 || evalGuard(t.guards[f.guard], view(), base, offsets));
  if (candidates.length === 0 || a.path.parts.length > 2) {
    const regs = [...new Set(t.fields.map((f) => f.register))].join(", ");
    ds.push(error("E110", `${t.name} has no register \`${regName}\``, a.path.span, `registers of ${t.name}: ${regs}`));
    return;
  }
  if (active.length === 0) {
    ds.push(error("E110", `register \`${regName}\` of ${t.name} is not present in this layout variant`, a.path.span,
      `set the fields its \`when\` depends on first`));
    return;
  }
  const reg: FieldInfo = active[0];
  if (fieldName === undefined) {
    if (a.value.value >= 2 ** reg.width) {
      ds.push(error("E108", `value 0x${a.value.value.toString(16)} does not fit the ${reg.width}-bit register \`${regName}\``, a.value.span));
      return;
    }
    set(base + reg.offset, reg.width, 0, reg.width - 1, a.value.value);
    return;
  }
  const field = active.find((f) => f.field === fieldName);
  if (!field) {
    ds.push(error("E110", `register \`${regName}\` has no field \`${fieldName}\``, a.path.parts[1].span,
      `fields: ${active.flatMap((f) => (f.field ? [f.field] : [])).join(", ")}`));
    return;
  }
  if (a.value.value >= 2 ** (field.hi - field.lo + 1)) {
    ds.push(error("E108", `value 0x${a.value.value.toString(16)} does not fit field \`${fieldName}\` [${field.hi}:${field.lo}]`, a.value.span));
    return;
  }
  set(base + field.offset, field.width, field.lo, field.hi, a.value.value);
}
