// One field's bits, attribute and policy lowered to the runtime's masks.
import type * as A from "../../syntax/ast.js";
import type { InitPart, PieceMasks } from "../template.js";

/** How a spec attribute behaves on a write, in five classes. */
export type WriteClass = "write" | "w1c" | "readonly" | "rsvdp" | "rsvdz";
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

/**
 * A field the rules say cannot change by itself: HwInit, or RO marked `const`.
 * Passed through, it is served from the attach-time snapshot: the guest sees
 * the device's value without a host read per access (a sysfs or VFIO read on
 * real hardware).
 */
export const isConstant = (f: { readonly attribute: A.Attribute; readonly constant?: unknown }): boolean => f.attribute === "HwInit" || (f.attribute === "RO" && f.constant !== undefined);

/**
 * The masks, initial value and hook of bits `m` with one attribute and policy.
 * `constant`: the field cannot change by itself, so `pass` is served from the
 * attach-time snapshot: read like emulate(hw), marked in `snapshot`.
 */
export function lowerBits(m: number, attribute: A.Attribute, given: A.Policy, lowBit: number, constant = false): PieceMasks & { init: InitPart | undefined } {
  const snapshot = constant && given.kind === "pass" && given.readOnly !== true;
  const policy: A.Policy = snapshot ? { kind: "emulate", init: { kind: "hw" }, span: given.span } : given;
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
    snapshot: snapshot ? u(m) : 0,
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

/** The policy's argument as docs and `explain` print it (`const`: a pass served from the snapshot). */
export function policyDetail(p: A.Policy, constant = false): string {
  const init = (i: A.InitValue) => (i.kind === "hw" ? "hw" : i.kind === "const" ? `0x${i.value.toString(16)}` : i.link);
  switch (p.kind) {
    case "pass":
      return p.readOnly ? "read" : constant ? "const" : "";
    case "emulate":
      return init(p.init);
    case "hide":
      return `0x${p.value.toString(16)}`;
    case "trap":
      return `${p.hook.name}, ${init(p.init)}`;
  }
}
