// Arbitrary device policies: what a device file can say (allow/hide, field
// overrides, BAR and ROM sizes, passed bytes, permissive), built against the
// compiled layouts so that every override names a real field and is a
// combination the compiler accepts.
import fc from "fast-check";
import { type DevicePolicy, defaultPolicy } from "../compile/device.js";
import type { CompiledRules } from "../compile/load.js";
import { HOOK_NAMES } from "../compile/vocabulary.js";
import type * as A from "../syntax/ast.js";

interface FieldRef {
  readonly layout: string;
  readonly key: string;
  readonly field: A.Field;
}

function fieldsOf(compiled: CompiledRules): FieldRef[] {
  const out: FieldRef[] = [];
  const walk = (layout: A.Layout, body: readonly A.LayoutStmt[]) => {
    for (const s of body) {
      if (s.kind === "when") {
        walk(layout, s.then);
        walk(layout, s.otherwise);
        continue;
      }
      for (const f of s.fields) if (f.name) out.push({ layout: layout.name.name, key: `${s.name.name}.${f.name}`, field: f });
    }
  };
  for (const l of compiled.layoutsByName.values()) walk(l, l.body);
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

export function devicePolicies(compiled: CompiledRules, c: PolicyConstraints = {}): fc.Arbitrary<DevicePolicy> {
  const isBar = (f: A.Field) => f.policy.kind === "trap" && (f.policy.hook.name === "bar" || f.policy.hook.name === "rom");
  const fields = fieldsOf(compiled).filter((f) => c.barOverrides || !isBar(f.field));
  const capNames = [...compiled.layoutsByName.values()].filter((l) => l.layoutKind !== "header").map((l) => l.name.name);
  const pow2 = (min: number, max: number) => fc.integer({ min, max }).map((e) => 2 ** e);
  const override = fc.constantFrom(...fields).chain((f) => policyFor(f.field).map((policy) => ({ f, policy })));
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
      const base = defaultPolicy();
      const overrides = new Map<string, Map<string, { policy: A.Policy; source: { path: string; line: number } }>>();
      for (const { f, policy } of r.overrides) {
        const m = overrides.get(f.layout) ?? new Map();
        m.set(f.key, { policy, source: { path: "fuzz", line: 0 } });
        overrides.set(f.layout, m);
      }
      const hide = new Set(r.hidden.filter((n) => !r.shown.includes(n)));
      return { ...base, name: "fuzz", allow: new Set(r.shown), hide, overrides, barSizes: r.barSizes, romSize: r.romSize, passBytes: r.passBytes, permissive: r.permissive };
    });
}
