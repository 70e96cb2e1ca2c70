// Arbitrary device policies: what a device file can say (allow/hide, field
// overrides, BAR and ROM sizes, passed bytes, permissive), built against the
// compiled layouts so that every override names a real field and is a
// combination the compiler accepts.
import fc from "fast-check";
import type { DevicePolicy } from "../compile/resolve/device.js";
import { compileDevice } from "../compile/pipeline.js";
import type { CompiledRules } from "../compile/pipeline.js";
import { throwIfErrors } from "../diag/diagnostic.js";
import { HOOK_NAMES } from "../compile/vocabulary.js";
import type * as A from "../syntax/ast.js";

interface FieldRef {
  readonly layout: string;
  readonly key: string;
  readonly field: A.Field;
}

/**
 * Fields an override can name. The compiler resolves LAYOUT.REGISTER.FIELD
 * against the first register of that name (in document order, every `when`
 * arm), so a field only a later variant of the register has is not offered.
 */
function fieldsOf(compiled: CompiledRules): FieldRef[] {
  const out: FieldRef[] = [];
  const walk = (layout: A.Layout, body: readonly A.LayoutStmt[], seen: Set<string>) => {
    for (const s of body) {
      if (s.kind === "when") {
        walk(layout, s.then, seen);
        walk(layout, s.otherwise, seen);
        continue;
      }
      if (seen.has(s.name.name)) continue;
      seen.add(s.name.name);
      for (const f of s.fields) if (f.name) out.push({ layout: layout.name.name, key: `${s.name.name}.${f.name}`, field: f });
    }
  };
  for (const l of compiled.layoutsByName.values()) walk(l, l.body, new Set());
  return out;
}

/** A replacement policy the compiler accepts for this field. */
function policyFor(f: A.Field): fc.Arbitrary<A.Policy> {
  const span = f.span;
  const width = f.hi - f.lo + 1;
  const reserved = f.attribute === "RsvdP" || f.attribute === "RsvdZ";
  const constant = reserved ? fc.constant(0) : fc.integer({ min: 0, max: 2 ** Math.min(width, 31) - 1 });
  const init: fc.Arbitrary<A.InitValue> = fc.oneof(fc.constant({ kind: "hw" } as const), constant.map((value) => ({ kind: "const", value }) as const));
  const options: fc.Arbitrary<A.Policy>[] = [
    init.map((i) => ({ kind: "emulate", init: i, span }) as const),
    constant.map((value) => ({ kind: "hide", value, span }) as const),
  ];
  if (f.attribute !== "RsvdZ") options.push(fc.constant({ kind: "pass", span } as const));
  if (!reserved) {
    // Hooks whose handlers change state (vpd_address, flr) assume their own register layout; elsewhere they write bits outside the field.
    const hooks = HOOK_NAMES.filter((h) => h !== "bar" && h !== "rom" && h !== "vpd_address" && h !== "flr");
    options.push(fc.tuple(fc.constantFrom(...hooks), init).map(([h, i]) => ({ kind: "trap", hook: { name: h, span }, init: i, span }) as const));
  }
  return fc.oneof(...options);
}

export interface PolicyConstraints {
  /**
   * Also override BAR and ROM fields (trap(bar)/trap(rom)). Off by default:
   * overriding a BAR shifts the table runtime's BAR numbering (see
   * test/fuzz/findings.test.ts), which would mask every other disagreement.
   */
  readonly barOverrides?: boolean;
}

/**
 * Device files (as parsed, with no match): the harness applies one to both
 * implementations, the compiler resolving it for the table runtime and the
 * reference reading it itself.
 */
export function deviceFiles(compiled: CompiledRules, c: PolicyConstraints = {}): fc.Arbitrary<A.Device> {
  const isBar = (f: A.Field) => f.policy.kind === "trap" && (f.policy.hook.name === "bar" || f.policy.hook.name === "rom");
  const fields = fieldsOf(compiled).filter((f) => c.barOverrides || !isBar(f.field));
  const capNames = [...compiled.layoutsByName.values()].filter((l) => l.layoutKind !== "header").map((l) => l.name.name);
  const pow2 = (min: number, max: number) => fc.integer({ min, max }).map((e) => 2 ** e);
  const override = fc.constantFrom(...fields).chain((f) => policyFor(f.field).map((policy) => ({ f, policy })));
  const span = compiled.ruleSet.layouts[0].span;
  const ident = (name: string): A.Ident => ({ name, span });
  const num = (value: number): A.NumberLit => ({ value, span });
  return fc
    .record({
      shown: fc.subarray(capNames, { maxLength: 6 }),
      hidden: fc.subarray(capNames, { maxLength: 4 }),
      overrides: fc.array(override, { maxLength: 8 }),
      barSizes: fc.array(fc.option(pow2(2, 34), { nil: undefined }), { maxLength: 6 }),
      romSize: fc.option(pow2(11, 24), { nil: undefined }),
      passBytes: fc.array(
        fc.tuple(fc.integer({ min: 0, max: 4095 }), fc.integer({ min: 0, max: 16 }), fc.constantFrom<A.Attribute>("RW", "RO", "RW1C", "RsvdP")).map(([first, n, attribute]) => ({
          first,
          last: Math.min(4095, first + n),
          attribute,
        })),
        { maxLength: 3 },
      ),
      permissive: fc.boolean(),
    })
    .map((r) => {
      const stmts: A.DeviceStmt[] = [];
      const hide = r.hidden.filter((n) => !r.shown.includes(n));
      if (r.shown.length > 0) stmts.push({ kind: "allow", names: r.shown.map(ident), span });
      if (hide.length > 0) stmts.push({ kind: "hide", names: hide.map(ident), span });
      for (const { f, policy } of r.overrides) {
        const [register, field] = f.key.split(".");
        stmts.push({ kind: "override", path: { parts: [ident(f.layout), ident(register), ident(field)], span }, policy, span });
      }
      r.barSizes.forEach((size, index) => {
        if (size !== undefined) stmts.push({ kind: "bar", index: num(index), size, span });
      });
      if (r.romSize !== undefined) stmts.push({ kind: "rom", size: r.romSize, span });
      for (const b of r.passBytes) stmts.push({ kind: "passBytes", first: num(b.first), last: num(b.last), attribute: b.attribute, span });
      if (r.permissive) stmts.push({ kind: "permissive", span });
      const device: A.Device = { kind: "device", name: "fuzz", matches: [], stmts, span };
      // Random hooks may land two in one dword (E113), which the compiler refuses:
      // such a device file keeps its other statements and loses its trapped overrides.
      if (!compileDevice(device, compiled.layoutsByName).diagnostics.some((d) => d.severity === "error")) return device;
      return { ...device, stmts: stmts.filter((st) => !(st.kind === "override" && st.policy.kind === "trap")) };
    });
}

/** The same device files, resolved by the compiler (for tests of the table runtime alone). */
export function devicePolicies(compiled: CompiledRules, c: PolicyConstraints = {}): fc.Arbitrary<DevicePolicy> {
  return deviceFiles(compiled, c).map((device) => {
    const { policy, diagnostics } = compileDevice(device, compiled.layoutsByName);
    throwIfErrors(diagnostics);
    return policy;
  });
}
