// Hover texts for the language's own words: attributes (PCI Express Base 6.0
// §7.4, "Register Attributes"), policies, and statements.
import type { Attribute } from "../syntax/ast.js";

export const ATTRIBUTE_DOCS: Readonly<Record<Attribute, string>> = {
  RO: "Read-only: software cannot change the bits (the device may).",
  RW: "Read-write: software sets and clears the bits.",
  RW1C: "Write 1 to clear: reading returns status; writing 1 clears a bit, writing 0 has no effect.",
  HwInit: "Hardware initialized: set by firmware or pin straps, read-only afterwards.",
  ROS: "Read-only, sticky: kept across a reset other than a cold one.",
  RWS: "Read-write, sticky: kept across a reset other than a cold one.",
  RW1CS: "Write 1 to clear, sticky.",
  RsvdP: "Reserved and preserved: software keeps the value it read when writing.",
  RsvdZ: "Reserved and zero: software writes 0.",
};

export const POLICY_DOCS: Readonly<Record<string, string>> = {
  pass: "**pass**: the guest reads and writes the hardware's bits.",
  emulate:
    "**emulate**`(INIT)`: the guest sees a virtual copy, initialised from the hardware (`hw`, the default), a constant, or a structural value (`next`, `first_cap`, `cap_list`); writes follow the attribute and never reach the hardware.",
  hide: "**hide**`(VALUE)`: the guest reads a constant (0 by default); writes are dropped.",
  trap: "**trap**`(HOOK, INIT)`: the bits are emulated and a write calls the named hook, which the platform implements.",
};

export const KEYWORD_DOCS: Readonly<Record<string, string>> = {
  include: '`include "FILE"`: read another rule file (beside this one, then the standard library).',
  header: "`header NAME type N { ... }`: the layout of configuration header type N.",
  capability: "`capability NAME id N [size ...] [hidden \"why\"] { ... }`: a standard capability's layout (in an image: `capability NAME @ OFFSET { ... }`).",
  extended: "`extended NAME id N [size ...] [hidden \"why\"] { ... }`: an extended capability's layout.",
  device: '`device "NAME" match IDS|class C/MASK { ... }`: the policy for the host devices that match.',
  image: '`image "NAME" { ... }`: an example device\'s configuration, built from register values.',
  register: "`register NAME @ OFFSET u8|u16|u32 { FIELDS }`: one register, offset relative to the layout.",
  when: "`when GUARD { ... } else { ... }`: registers present only when a field of the device has a value.",
  spec: '`spec "CITATION"`: where the specification defines this layout.',
  rest: "`rest ATTRIBUTE POLICY`: the bytes of the layout that no register describes.",
  allow: "`allow CAP, ...`: show capabilities that are hidden by default.",
  override: "`override LAYOUT.REGISTER.FIELD POLICY`: replace one field's policy for this device.",
  ids: "`ids NAME = VALUE, ...`: emulate the vendor, device, revision or subsystem IDs.",
  bar: "`bar N size SIZE`: the size of BAR N (0 to 5).",
  rom: "`rom size SIZE`: the expansion ROM's size (at least 2K).",
  permissive: "`permissive`: pass writes to bits the rules do not describe (like vfio-pci's permissive mode).",
  vpd: '`vpd "TEXT"`: the example device\'s Vital Product Data.',
  registers: "`registers NAME { ... }`: registers written once, for the layouts that `use NAME`.",
  use: "`use NAME`: this layout's registers include the block `registers NAME`.",
  repeat: "`repeat I in FIRST..LAST stride N [when GUARD] { ... }`: a register array; each copy N bytes further, its register names suffixed with the index.",
};

export const HIDE_STATEMENT_DOC = "`hide CAP, ...`: hide capabilities that are shown by default.";
export const PASS_STATEMENT_DOC = "`pass FIRST[..LAST] [ATTRIBUTE]`: device-specific bytes, outside every layout, that pass through.";
