// Device files: resolve names against the layouts, and pick the file that
// matches a host device.
import { error, type Diagnostic } from "../diag/diagnostic.js";
import { suggestionHelp } from "../diag/suggest.js";
import type * as A from "../syntax/ast.js";
import { type FieldOverride, sourceRef } from "./lower.js";
import { registersOf } from "./syntax-walk.js";
import type { SourceRef } from "./template.js";

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

const isPow2 = (n: number) => n > 0 && 2 ** Math.round(Math.log2(n)) === n;

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

  for (const m of device.matches) {
    // A class code is 24 bits: a value or mask past them would match every device (mask 0) or none.
    if (m.kind === "class" && (m.value > 0xffffff || m.mask > 0xffffff)) {
      ds.push(error("E108", `class match 0x${m.value.toString(16)}${m.mask === 0xffffff ? "" : `/0x${m.mask.toString(16)}`} is wider than the 24-bit class code`, m.span,
        "write `class 0xCCSSPP` or `class 0xCCSSPP/0xMMMMMM`, e.g. `class 0x020000/0xff0000`"));
    }
  }
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
          if (value.value > 0xffff) {
            ds.push(error("E108", `ID value 0x${value.value.toString(16)} does not fit`, value.span, `IDs are at most 0xffff (revision 0xff)`));
            continue;
          }
          const policy: A.Policy = { kind: "emulate", init: { kind: "const", value: value.value }, span: value.span };
          for (const layout of layouts.values()) {
            if (layout.layoutKind === "header" && hasField(layout, key)) addOverride(layout, key, policy, stmt);
          }
        }
        break;
      case "bar":
        if (stmt.index.value > 5) ds.push(error("E117", `BAR index ${stmt.index.value} is out of range`, stmt.index.span, `BARs are numbered 0 to 5`));
        else if (!isPow2(stmt.size)) ds.push(error("E117", `BAR size ${stmt.size} is not a power of two`, stmt.span, `BAR sizes are powers of two, e.g. 16K`));
        else barSizes[stmt.index.value] = stmt.size;
        break;
      case "rom":
        if (!isPow2(stmt.size) || stmt.size < 2048) ds.push(error("E117", `ROM size ${stmt.size} is not a power of two of at least 2K`, stmt.span));
        else romSize = stmt.size;
        break;
      case "passBytes":
        if (stmt.last.value < stmt.first.value || stmt.last.value > 0xfff) {
          ds.push(error("E117", `byte range 0x${stmt.first.value.toString(16)}..0x${stmt.last.value.toString(16)} is not within 0..0xfff`, stmt.span));
        } else passBytes.push({ first: stmt.first.value, last: stmt.last.value, attribute: stmt.attribute });
        break;
      case "permissive":
        permissive = true;
        break;
      case "reassign":
        reassign = true;
        break;
    }
  }
  for (const n of allow) {
    if (hide.has(n)) ds.push(error("E104", `device "${device.name}" both allows and hides \`${n}\``, device.span));
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

/** Identity of a host device, as read from its header. */
export interface DeviceIdentity {
  readonly vendor: number;
  readonly device: number;
  readonly subsystemVendor: number;
  readonly subsystem: number;
  readonly classCode: number;
}

/** How specifically a match fits; 0 when it does not. */
function matchScore(m: A.Match, id: DeviceIdentity): number {
  if (m.kind === "class") return (id.classCode & m.mask) === (m.value & m.mask) ? 1 : 0;
  const parts: [number | undefined, number][] = [
    [m.vendor, id.vendor],
    [m.device, id.device],
    [m.subsystemVendor, id.subsystemVendor],
    [m.subsystem, id.subsystem],
  ];
  let score = 2;
  for (const [want, have] of parts) {
    if (want === undefined) continue;
    if (want !== have) return 0;
    score += 2;
  }
  return score;
}

/** The most specific device file for a host device; later files win ties. */
export function matchDevice(policies: readonly DevicePolicy[], id: DeviceIdentity): DevicePolicy | undefined {
  let best: DevicePolicy | undefined;
  let bestScore = 0;
  for (const p of policies) {
    const s = Math.max(0, ...p.matches.map((m) => matchScore(m, id)));
    if (s > 0 && s >= bestScore) {
      best = p;
      bestScore = s;
    }
  }
  return best;
}
