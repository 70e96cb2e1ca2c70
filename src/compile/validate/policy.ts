// Checks on one field's attribute and policy, wherever the policy comes from
// (the layout, or a device file's override).
import { error, type Diagnostic, type Span } from "../../diag/diagnostic.js";
import { suggestionHelp } from "../../diag/suggest.js";
import type * as A from "../../syntax/ast.js";
import { HOOK_NAMES, isHookName, isLinkName, LINKS } from "../vocabulary.js";

/**
 * Guards and sizes choose which bytes belong to a layout, once, at attach. A
 * field the hardware may change by itself (a status bit, a sticky log pointer,
 * anything the guest writes) would let the device's own state decide what the
 * guest sees: AER's TLP Prefix Log Present (ROS) once grew AER over the hidden
 * DSN. Only fixed capability facts qualify: RO and HwInit.
 */
export function checkStable(field: A.Field, path: A.FieldPath, what: string): Diagnostic[] {
  if (field.attribute === "RO" || field.attribute === "HwInit") return [];
  const name = path.parts.map((p) => p.name).join(".");
  return [error("E130", `${what} reads \`${name}\`, a ${field.attribute} field the hardware or the guest can change`, path.span,
    `guards and sizes may read only RO or HwInit capability fields; size the layout for its largest variant or guard on a capability bit`)];
}

/** Attribute and policy combinations that make no sense, and names the language does not know. */
export function checkCombination(f: { hi: number; lo: number; name: string | undefined; attribute: A.Attribute; constant?: Span }, p: A.Policy, regName: string): Diagnostic[] {
  const ds: Diagnostic[] = [];
  if (f.constant && f.attribute !== "RO") {
    ds.push(error("E134", `${f.attribute} field \`${f.name ?? "-"}\` in \`${regName}\` is marked \`const\``, f.constant,
      f.attribute === "HwInit" ? "HwInit fields are constant already: remove `const`" : `a ${f.attribute} field can change; only RO fields the hardware never changes are \`const\``));
  } else if (f.constant && p.kind === "pass" && p.readOnly) {
    ds.push(error("E134", `\`const\` field \`${f.name ?? "-"}\` in \`${regName}\` is read live with \`pass(read)\``, p.span,
      "a constant field is served from the attach-time snapshot: write `pass`, or drop `const` if the field can change"));
  }
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
  return ds;
}

/** `rest` has no fields: it takes pass, hide, or emulate from the hardware. */
export function checkRest(p: A.Policy): Diagnostic[] {
  const constant = p.kind === "hide" ? p.value : (p.kind === "emulate" && p.init.kind === "const") ? p.init.value : 0;
  if (p.kind === "trap" || constant !== 0 || (p.kind === "emulate" && p.init.kind === "link")) {
    return [error("E106", "`rest` takes pass, hide, or emulate from the hardware", p.span, "the rest of a layout has no fields to trap or to give constants")];
  }
  return [];
}
