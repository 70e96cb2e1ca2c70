// The resolve stage, device files: the names a device file uses (capabilities,
// REGISTER.FIELD paths, IDs) resolved against the layouts, into a policy.
// Values (sizes, ranges, constants) are the validate stage's to check.
import { error, type Diagnostic } from "../../diag/diagnostic.js";
import { suggestionHelp } from "../../diag/suggest.js";
import type * as A from "../../syntax/ast.js";
import { registersOf } from "../syntax-walk.js";
import { sourceRef } from "../source-ref.js";
import type { SourceRef } from "../template.js";

/** A device file's replacement policy for one field, keyed `register.field`. */
export interface FieldOverride {
  readonly policy: A.Policy;
  readonly source: SourceRef;
}

export interface PassRange {
  readonly first: number;
  readonly last: number;
  readonly attribute: A.Attribute;
}

export interface DevicePolicy {
  readonly name: string;
  readonly source: SourceRef;
  readonly matches: readonly A.Match[];
  /** Capabilities shown although their layout is hidden by default. */
  readonly allow: ReadonlySet<string>;
  /** Capabilities hidden although their layout is shown by default. */
  readonly hide: ReadonlySet<string>;
  /** Per layout name: `register.field` -> replacement policy. */
  readonly overrides: ReadonlyMap<string, ReadonlyMap<string, FieldOverride>>;
  /** BAR sizes in bytes by index; undefined where the device file says nothing. */
  readonly barSizes: readonly (number | undefined)[];
  readonly romSize: number | undefined;
  /** Device-specific bytes (belonging to no layout) that pass through. */
  readonly passBytes: readonly PassRange[];
  readonly permissive: boolean;
  /** Page-align the host's memory BARs before assignment (`reassign`; the platform does it). */
  readonly reassign: boolean;
}

/** IDs a device file may replace with `ids NAME = VALUE`, as header register.field. */
export const ID_FIELDS: Readonly<Record<string, string>> = {
  vendor_id: "vendor_id.vendor_id",
  device_id: "device_id.device_id",
  revision_id: "revision_id.revision_id",
  subsystem_vendor_id: "subsystem_vendor_id.subsystem_vendor_id",
  subsystem_id: "subsystem_id.subsystem_id",
};

/** The policy for a device no device file matches: every layout's own default. */
export function defaultPolicy(): DevicePolicy {
  return {
    name: "default",
    source: { path: "(built-in default)", line: 0 },
    matches: [],
    allow: new Set(),
    hide: new Set(),
    overrides: new Map(),
    barSizes: [],
    romSize: undefined,
    passBytes: [],
    permissive: false,
    reassign: false,
  };
}

export function resolveDevice(device: A.Device, layouts: ReadonlyMap<string, A.Layout>): { policy: DevicePolicy; diagnostics: Diagnostic[] } {
  const ds: Diagnostic[] = [];
  const allow = new Set<string>();
  const hide = new Set<string>();
  const overrides = new Map<string, Map<string, FieldOverride>>();
  const barSizes: (number | undefined)[] = [];
  let romSize: number | undefined;
  const passBytes: PassRange[] = [];
  let permissive = false;
  let reassign = false;
  const capabilityNames = [...layouts.values()].filter((l) => l.layoutKind !== "header").map((l) => l.name.name);

  const addOverride = (layout: A.Layout, key: string, policy: A.Policy, at: A.Node) => {
    const m = overrides.get(layout.name.name) ?? new Map<string, FieldOverride>();
    m.set(key, { policy, source: sourceRef(at.span) });
    overrides.set(layout.name.name, m);
  };

  for (const stmt of device.stmts) {
    switch (stmt.kind) {
      case "allow":
      case "hide":
        for (const n of stmt.names) {
          const layout = layouts.get(n.name);
          if (!layout || layout.layoutKind === "header") {
            ds.push(error("E107", `device "${device.name}" names capability \`${n.name}\`, which no rule defines`, n.span,
              suggestionHelp(n.name, capabilityNames, "capabilities with rules")));
            continue;
          }
          (stmt.kind === "allow" ? allow : hide).add(n.name);
        }
        break;
      case "override": {
        const target = resolvePath(stmt.path, layouts, ds);
        if (target) addOverride(target.layout, `${target.register}.${target.field}`, stmt.policy, stmt);
        break;
      }
      case "ids":
        for (const { name, value } of stmt.ids) {
          const key = Object.hasOwn(ID_FIELDS, name.name) ? ID_FIELDS[name.name] : undefined;
          if (!key) {
            ds.push(error("E110", `\`${name.name}\` is not an ID a device file can set`, name.span, suggestionHelp(name.name, Object.keys(ID_FIELDS), "IDs")));
            continue;
          }
          const policy: A.Policy = { kind: "emulate", init: { kind: "const", value: value.value }, span: value.span };
          for (const layout of layouts.values()) {
            if (layout.layoutKind === "header" && hasField(layout, key)) addOverride(layout, key, policy, stmt);
          }
        }
        break;
      case "bar":
        barSizes[stmt.index.value] = stmt.size;
        break;
      case "rom":
        romSize = stmt.size;
        break;
      case "passBytes":
        passBytes.push({ first: stmt.first.value, last: stmt.last.value, attribute: stmt.attribute });
        break;
      case "permissive":
        permissive = true;
        break;
      case "reassign":
        reassign = true;
        break;
    }
  }
  return {
    policy: { name: device.name, source: sourceRef(device.span), matches: device.matches, allow, hide, overrides, barSizes, romSize, passBytes, permissive, reassign },
    diagnostics: ds,
  };
}

function hasField(layout: A.Layout, key: string): boolean {
  const [r, f] = key.split(".");
  return registersOf(layout.body).some((reg) => reg.name.name === r && reg.fields.some((x) => x.name === f));
}


/** Resolve LAYOUT.REGISTER.FIELD; on failure report the candidates at the failing level. */
function resolvePath(path: A.FieldPath, layouts: ReadonlyMap<string, A.Layout>, ds: Diagnostic[]): { layout: A.Layout; register: string; field: string } | undefined {
  const [l, r, f] = path.parts;
  const layout = layouts.get(l.name);
  if (!layout) {
    ds.push(error("E110", `override \`${path.parts.map((p) => p.name).join(".")}\` matches nothing: no layout \`${l.name}\``, l.span,
      suggestionHelp(l.name, [...layouts.keys()], "layouts")));
    return undefined;
  }
  const regs = registersOf(layout.body);
  const reg = r ? regs.find((x) => x.name.name === r.name) : undefined;
  if (!reg) {
    ds.push(error("E110", `override matches nothing: ${layout.name.name} has no register \`${r?.name ?? ""}\``, r?.span ?? path.span,
      suggestionHelp(r?.name ?? "", regs.map((x) => x.name.name), `registers of ${layout.name.name}`)));
    return undefined;
  }
  // A register may have variants in the arms of a `when` (PCIe Device Control's
  // bit 15): the field may be in any of them.
  const variants = regs.filter((x) => x.name.name === reg.name.name);
  const fieldNames = [...new Set(variants.flatMap((v) => v.fields.flatMap((x) => (x.name ? [x.name] : []))))];
  const field = f && path.parts.length === 3 ? variants.flatMap((v) => v.fields).find((x) => x.name === f.name) : undefined;
  if (!field) {
    ds.push(error("E110", `override matches nothing: register ${layout.name.name}.${reg.name.name} has no field \`${f?.name ?? ""}\``, f?.span ?? path.span,
      suggestionHelp(f?.name ?? "", fieldNames, `fields of ${reg.name.name}`)));
    return undefined;
  }
  return { layout, register: reg.name.name, field: field.name! };
}
