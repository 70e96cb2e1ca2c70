// The typed syntax tree of a rule file. Every node keeps its source span so that
// later stages (validation, explain, docs) can point back at the text.
import type { Span } from "../diag/diagnostic.js";

export const ATTRIBUTES = ["RO", "RW", "RW1C", "HwInit", "ROS", "RWS", "RW1CS", "RsvdP", "RsvdZ"] as const;
export type Attribute = (typeof ATTRIBUTES)[number];

export type LayoutKind = "header" | "capability" | "extended";

export interface Node {
  readonly span: Span;
}

export interface Ident extends Node {
  readonly name: string;
}

export interface NumberLit extends Node {
  readonly value: number;
}

/**
 * Where an emulated bit's initial value comes from: the hardware at attach time,
 * a constant, or a structural value the attach step computes (`next`,
 * `first_cap`, `cap_list`, `first_ext`).
 */
export type InitValue =
  | { readonly kind: "hw" }
  | { readonly kind: "const"; readonly value: number }
  | { readonly kind: "link"; readonly link: string };

export type Policy =
  | (Node & { readonly kind: "pass"; readonly readOnly?: true })
  | (Node & { readonly kind: "emulate"; readonly init: InitValue })
  | (Node & { readonly kind: "hide"; readonly value: number })
  | (Node & { readonly kind: "trap"; readonly hook: Ident; readonly init: InitValue });

export interface Field extends Node {
  readonly hi: number;
  readonly lo: number;
  readonly bitsSpan: Span;
  /** `undefined` for an anonymous (`-`) field. */
  readonly name: string | undefined;
  readonly nameSpan: Span;
  readonly attribute: Attribute;
  readonly attributeSpan: Span;
  /** `RO const`: the field cannot change by itself; read from the attach-time snapshot. */
  readonly constant?: Span;
  readonly policy: Policy;
  /** `##` doc comment lines above the field, or after it on its line. */
  readonly doc?: string;
}

export interface Register extends Node {
  readonly kind: "register";
  readonly name: Ident;
  readonly offset: NumberLit;
  readonly width: 8 | 16 | 32;
  readonly fields: readonly Field[];
  /** The register's own specification citation (`spec "..."` after its width). */
  readonly spec?: string;
  /** `##` doc comment lines above the register. */
  readonly doc?: string;
}

export type Guard =
  | (Node & { readonly kind: "not"; readonly operand: Guard })
  | (Node & { readonly kind: "and" | "or"; readonly operands: readonly Guard[] })
  | (Node & {
      readonly kind: "compare";
      readonly path: FieldPath;
      readonly op: "==" | "!=" | ">=" | "<=" | ">" | "<" | "nonzero";
      readonly value: number;
      /** A `repeat` index compared against; replaced by its value when the repeat expands. */
      readonly valueName?: Ident;
    });

export interface FieldPath extends Node {
  readonly parts: readonly Ident[];
}

export interface When extends Node {
  readonly kind: "when";
  readonly guard: Guard;
  readonly then: readonly LayoutStmt[];
  readonly otherwise: readonly LayoutStmt[];
}

export type LayoutStmt = Register | When;

/** `size from [LAYOUT.]REGISTER.FIELD [* SCALE] [+ ADD]` */
export interface SizeFrom extends Node {
  readonly path: FieldPath;
  readonly scale: number;
  readonly add: number;
}

export interface Layout extends Node {
  readonly kind: "layout";
  readonly layoutKind: LayoutKind;
  readonly name: Ident;
  /** Header type for headers; capability ID otherwise (the first, when several). */
  readonly id: NumberLit;
  /** Further IDs the same layout describes (`id 0x0002, 0x0009`). */
  readonly otherIds?: readonly NumberLit[];
  /** Register blocks this layout uses (`use NAME`), inlined when the rule set resolves. */
  readonly uses?: readonly Ident[];
  /** `##` doc comment lines above the layout. */
  readonly doc?: string;
  readonly size: NumberLit | SizeFrom | undefined;
  /** Set when the capability is hidden unless a device file allows it. */
  readonly hiddenReason: string | undefined;
  readonly spec: string | undefined;
  readonly body: readonly LayoutStmt[];
  /** Attribute and policy of the bytes within the size that no register describes. */
  readonly rest: RestRule | undefined;
}

export interface RestRule extends Node {
  readonly attribute: Attribute;
  readonly policy: Policy;
}

export type Match =
  | (Node & {
      readonly kind: "ids";
      readonly vendor: number | undefined;
      readonly device: number | undefined;
      readonly subsystemVendor: number | undefined;
      readonly subsystem: number | undefined;
    })
  | (Node & { readonly kind: "class"; readonly value: number; readonly mask: number });

export type DeviceStmt =
  | (Node & { readonly kind: "allow" | "hide"; readonly names: readonly Ident[] })
  | (Node & { readonly kind: "override"; readonly path: FieldPath; readonly policy: Policy })
  | (Node & { readonly kind: "ids"; readonly ids: readonly { readonly name: Ident; readonly value: NumberLit }[] })
  | (Node & { readonly kind: "bar"; readonly index: NumberLit; readonly size: number })
  | (Node & { readonly kind: "rom"; readonly size: number })
  | (Node & {
      readonly kind: "passBytes";
      readonly first: NumberLit;
      readonly last: NumberLit;
      readonly attribute: Attribute;
    })
  | (Node & { readonly kind: "permissive" })
  /** Move a non-page-aligned host memory BAR to a page-aligned address before assignment (the platform acts on it). */
  | (Node & { readonly kind: "reassign" });

export interface Device extends Node {
  readonly kind: "device";
  readonly name: string;
  readonly matches: readonly Match[];
  readonly stmts: readonly DeviceStmt[];
}

export interface Assign extends Node {
  readonly path: FieldPath;
  readonly value: NumberLit;
}

export type ImageStmt =
  | (Node & { readonly kind: "bar"; readonly index: NumberLit; readonly size: number })
  | (Node & { readonly kind: "rom"; readonly size: number })
  | (Node & { readonly kind: "vpd"; readonly text: string })
  | (Node & {
      readonly kind: "block";
      readonly layoutKind: LayoutKind;
      readonly name: Ident;
      readonly offset: NumberLit | undefined;
      readonly assigns: readonly Assign[];
    });

export interface Image extends Node {
  readonly kind: "image";
  readonly name: string;
  readonly stmts: readonly ImageStmt[];
}

export interface Include extends Node {
  readonly kind: "include";
  readonly path: string;
}

/** `registers NAME { ... }`: registers written once, inlined where a layout says `use NAME`. */
export interface RegisterBlock extends Node {
  readonly kind: "registers";
  readonly name: Ident;
  readonly body: readonly LayoutStmt[];
}

export type Item = Include | Layout | Device | Image | RegisterBlock;

export interface RuleFile {
  readonly path: string;
  readonly items: readonly Item[];
}
