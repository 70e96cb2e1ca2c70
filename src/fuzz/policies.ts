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
  /** "register.field", as an override names it. */
  readonly key: string;
  /**
   * The field as each variant of its register (the arms of a `when`) declares
   * it: an override reaches the field in every variant that has it, so a
   * replacement policy must suit all of them.
   */
  readonly variants: readonly A.Field[];
  /** The register has variants and the first does not have this field. */
  readonly laterOnly: boolean;
  /** The dwords of its layout the field occupies, in any variant. */
  readonly dwords: readonly number[];
  /**
   * The hooks the layout's own fields trap in those dwords (any variant). One
   * hook serves a dword (E113), so a trap override must use one of these when
   * there are any.
   */
  readonly dwordHooks: ReadonlySet<string>;
}

/** Dwords (of its layout) a field of a register at `offset` occupies. */
function dwordsOf(offset: number, f: A.Field): number[] {
  const first = (offset + (f.lo >> 3)) >> 2;
  const last = (offset + (f.hi >> 3)) >> 2;
  return first === last ? [first] : [first, last];
}

/**
 * Fields an override can name: every named field of every register, in any
 * variant of it, including a field only a later `when` arm has (PCIe Device
 * Control's bridge_config_retry).
 */
function fieldsOf(compiled: CompiledRules): FieldRef[] {
  const out: FieldRef[] = [];
  for (const l of compiled.layoutsByName.values()) {
    const byKey = new Map<string, { variants: A.Field[]; dwords: Set<number> }>();
    const firstVariant = new Map<string, A.Register>();
    const hooksByDword = new Map<number, Set<string>>();
    const walk = (body: readonly A.LayoutStmt[]) => {
      for (const s of body) {
        if (s.kind === "when") {
          walk(s.then);
          walk(s.otherwise);
          continue;
        }
        if (!firstVariant.has(s.name.name)) firstVariant.set(s.name.name, s);
        for (const f of s.fields) {
          const dwords = dwordsOf(s.offset.value, f);
          if (f.policy.kind === "trap") {
            for (const d of dwords) {
              const hooks = hooksByDword.get(d) ?? new Set<string>();
              hooks.add(f.policy.hook.name);
              hooksByDword.set(d, hooks);
            }
          }
          if (!f.name) continue;
          const key = `${s.name.name}.${f.name}`;
          const entry = byKey.get(key) ?? { variants: [], dwords: new Set<number>() };
          entry.variants.push(f);
          for (const d of dwords) entry.dwords.add(d);
          byKey.set(key, entry);
        }
      }
    };
    walk(l.body);
    for (const [key, { variants, dwords }] of byKey) {
      const [register, field] = key.split(".");
      const laterOnly = !firstVariant.get(register)!.fields.some((f) => f.name === field);
      const dwordHooks = new Set([...dwords].flatMap((d) => [...(hooksByDword.get(d) ?? [])]));
      out.push({ layout: l.name.name, key, variants, laterOnly, dwords: [...dwords], dwordHooks });
    }
  }
  return out;
}

/** Hooks an override may trap with: not BAR and ROM sizing, not those whose handlers change state. */
const OVERRIDE_HOOKS: readonly string[] = HOOK_NAMES.filter((h) => h !== "bar" && h !== "rom" && h !== "vpd_address" && h !== "flr");

/** A replacement policy the compiler accepts for this field in every variant of its register. */
function policyFor(f: FieldRef): fc.Arbitrary<A.Policy> {
  const { variants } = f;
  const span = variants[0].span;
  const width = Math.min(...variants.map((v) => v.hi - v.lo + 1));
  const rsvdZ = variants.some((v) => v.attribute === "RsvdZ");
  const reserved = rsvdZ || variants.some((v) => v.attribute === "RsvdP");
  const constant = reserved ? fc.constant(0) : fc.integer({ min: 0, max: 2 ** Math.min(width, 31) - 1 });
  const init: fc.Arbitrary<A.InitValue> = fc.oneof(fc.constant({ kind: "hw" } as const), constant.map((value) => ({ kind: "const", value }) as const));
  const options: fc.Arbitrary<A.Policy>[] = [
    init.map((i) => ({ kind: "emulate", init: i, span }) as const),
    constant.map((value) => ({ kind: "hide", value, span }) as const),
  ];
  if (!rsvdZ) options.push(fc.constant({ kind: "pass", span } as const));
  // Hooks whose handlers change state (vpd_address, flr) assume their own
  // register layout; elsewhere they write bits outside the field. A dword
  // the layout already traps takes only its own hook (E113).
  const hooks = f.dwordHooks.size === 0 ? OVERRIDE_HOOKS : OVERRIDE_HOOKS.filter((h) => f.dwordHooks.has(h));
  if (!reserved && hooks.length > 0) {
    options.push(fc.tuple(fc.constantFrom(...hooks), init).map(([h, i]) => ({ kind: "trap", hook: { name: h, span }, init: i, span }) as const));
  }
  return fc.oneof(...options);
}

/**
 * Keep one hook per dword among the overrides too: a trap override in a
 * dword an earlier one trapped with another hook emulates instead.
 */
function oneHookPerDword(overrides: readonly { f: FieldRef; policy: A.Policy }[]): { f: FieldRef; policy: A.Policy }[] {
  const claimed = new Map<string, string>();
  return overrides.map(({ f, policy }) => {
    if (policy.kind !== "trap") return { f, policy };
    const keys = f.dwords.map((d) => `${f.layout}/${d}`);
    if (keys.some((k) => (claimed.get(k) ?? policy.hook.name) !== policy.hook.name)) {
      return { f, policy: { kind: "emulate", init: policy.init, span: policy.span } };
    }
    for (const k of keys) claimed.set(k, policy.hook.name);
    return { f, policy };
  });
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
  const fields = fieldsOf(compiled).filter((f) => c.barOverrides || !f.variants.some(isBar));
  const capNames = [...compiled.layoutsByName.values()].filter((l) => l.layoutKind !== "header").map((l) => l.name.name);
  const pow2 = (min: number, max: number) => fc.integer({ min, max }).map((e) => 2 ** e);
  // A field only a later variant declares is one in hundreds: draw those
  // often enough that the fuzz reaches them (one override in eight).
  const laterOnly = fields.filter((f) => f.laterOnly);
  const field = laterOnly.length === 0 ? fc.constantFrom(...fields) : fc.oneof({ arbitrary: fc.constantFrom(...fields), weight: 7 }, { arbitrary: fc.constantFrom(...laterOnly), weight: 1 });
  const override = field.chain((f) => policyFor(f).map((policy) => ({ f, policy })));
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
      for (const { f, policy } of oneHookPerDword(r.overrides)) {
        const [register, field] = f.key.split(".");
        stmts.push({ kind: "override", path: { parts: [ident(f.layout), ident(register), ident(field)], span }, policy, span });
      }
      r.barSizes.forEach((size, index) => {
        if (size !== undefined) stmts.push({ kind: "bar", index: num(index), size, span });
      });
      if (r.romSize !== undefined) stmts.push({ kind: "rom", size: r.romSize, span });
      for (const b of r.passBytes) stmts.push({ kind: "passBytes", first: num(b.first), last: num(b.last), attribute: b.attribute, span });
      if (r.permissive) stmts.push({ kind: "permissive", span });
      return { kind: "device", name: "fuzz", matches: [], stmts, span } satisfies A.Device;
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
