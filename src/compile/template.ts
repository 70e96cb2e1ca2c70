// Stage-one output: a layout lowered to masks relative to its own base, one
// piece per register, with guards resolved to bit positions. Plain data, so it
// serialises to JSON (see schema.ts) and back.
import type { Attribute, LayoutKind } from "../syntax/ast.js";

/** A guard with field names resolved to (offset, bits) relative to the base. */
export type GuardExpr =
  | { readonly op: "not"; readonly operand: GuardExpr }
  | { readonly op: "and" | "or"; readonly operands: readonly GuardExpr[] }
  | {
      readonly op: "==" | "!=" | ">=" | "<=" | ">" | "<" | "nonzero";
      /** The field as the rule names it (`flags.device_type`, `pcie.flags.device_type`): for docs, diff and explain. */
      readonly path: string;
      /**
       * Another layout the field belongs to (`pcie.flags.device_type`); its base is
       * where the device has that capability. Absent: the guarded layout itself.
       */
      readonly layout?: string;
      /** Byte offset of the register holding the field, relative to the base. */
      readonly offset: number;
      readonly width: 8 | 16 | 32;
      readonly lo: number;
      readonly hi: number;
      readonly value: number;
    };

export interface InitPart {
  /** Bits of the piece's dword that take this initial value. */
  readonly mask: number;
  readonly kind: "hw" | "const" | "link";
  /** For `const`: the value already shifted into dword position. */
  readonly value: number;
  readonly link?: string;
}

export interface HookPart {
  readonly hook: string;
  readonly mask: number;
}

/** All masks of one register, in the coordinates of its dword. */
export interface Piece {
  readonly register: string;
  /** Index into Template.guards; -1 when the register is always present. */
  readonly guard: number;
  /** Dword index relative to the layout's base. */
  readonly dword: number;
  readonly masks: PieceMasks;
  readonly inits: readonly InitPart[];
  readonly hooks: readonly HookPart[];
}

/** The runtime masks (guest view) and the attribute masks (hardware behaviour). */
export interface PieceMasks {
  /** Bits covered by a field of this register. */
  readonly covered: number;
  /**
   * Passed-through bits of constant fields (HwInit, RO const): the guest sees
   * the device's value, served from the attach-time snapshot (virtRead and an
   * initial value from the hardware) rather than read from the host each time.
   */
  readonly snapshot: number;
  readonly hwRead: number;
  readonly virtRead: number;
  readonly virtWrite: number;
  readonly virtW1C: number;
  /** Guest bits written to hardware as given (RW passes the value, RW1C a 1 clears). */
  readonly hwWrite: number;
  /** Bits written back to hardware as currently read, when a hardware write happens. */
  readonly preserve: number;
  /** Attribute facts for the simulated hardware. */
  readonly attrWritable: number;
  readonly attrW1C: number;
  readonly attrRsvdZ: number;
}

export type PolicyKind = "pass" | "emulate" | "hide" | "trap";

/** One field as written, after overrides: for explain, docs and the device model. */
export interface FieldInfo {
  readonly register: string;
  readonly field: string | undefined;
  /** Byte offset of the register relative to the base. */
  readonly offset: number;
  readonly width: 8 | 16 | 32;
  readonly hi: number;
  readonly lo: number;
  readonly attribute: Attribute;
  readonly policy: PolicyKind;
  /** `hw`, a constant, a link name, or the hook name for traps. */
  readonly detail: string;
  readonly guard: number;
  readonly source: SourceRef;
  /** Set when a device file's override changed this field. */
  readonly overriddenBy?: SourceRef;
  /** `##` documentation of the field, of its register, and the register's own spec citation. */
  readonly doc?: string;
  readonly registerDoc?: string;
  readonly registerSpec?: string;
}

export interface SourceRef {
  readonly path: string;
  readonly line: number;
}

export type TemplateSize =
  | { readonly kind: "fixed"; readonly bytes: number }
  /** As far as the registers present on the device (after guards) reach. */
  | { readonly kind: "registers" }
  | {
      readonly kind: "field";
      /** The field as the rule names it, as for guards. */
      readonly path: string;
      /** As for guards: the layout holding the field, when not this one. */
      readonly layout?: string;
      readonly offset: number;
      readonly width: 8 | 16 | 32;
      readonly lo: number;
      readonly hi: number;
      readonly scale: number;
      readonly add: number;
      /** The smallest size: the registers always present. */
      readonly minimum: number;
    };

/** How bytes within the size that no register describes behave (`rest`). */
export interface RestInfo {
  readonly attribute: Attribute;
  readonly policy: PolicyKind;
  readonly detail: string;
  /** Masks for a whole dword; attach applies them byte by byte. */
  readonly masks: PieceMasks;
  readonly init: InitPart | undefined;
  readonly source: SourceRef;
}

export interface Template {
  readonly name: string;
  readonly kind: LayoutKind;
  /** Header type for headers; capability ID otherwise (the first, when several). */
  readonly id: number;
  /** Further capability IDs the same layout describes. */
  readonly otherIds?: readonly number[];
  /** `##` documentation of the layout. */
  readonly doc?: string;
  readonly size: TemplateSize;
  readonly hiddenReason?: string;
  readonly spec?: string;
  readonly source: SourceRef;
  readonly guards: readonly GuardExpr[];
  readonly pieces: readonly Piece[];
  readonly fields: readonly FieldInfo[];
  readonly rest?: RestInfo;
}
