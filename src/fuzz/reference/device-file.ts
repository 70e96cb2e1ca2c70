// The reference's own reading of device files, from the README's rules rather
// than from the compiler: which file applies (the most specific match; on a
// tie the one loaded last), and what its statements say, in the fixed order
// (allow/hide; override and ids in file order, a later one winning; BAR and
// ROM sizes; passed bytes; permissive).
import type * as A from "../../syntax/ast.js";

export interface Identity {
  readonly vendor: number;
  readonly device: number;
  readonly subsystemVendor: number;
  readonly subsystem: number;
  readonly classCode: number;
}

/** What a device file says, as the reference uses it. */
export interface DeviceFileMeaning {
  readonly allow: ReadonlySet<string>;
  readonly hide: ReadonlySet<string>;
  /** layout name -> "register.field" -> policy. */
  readonly overrides: ReadonlyMap<string, ReadonlyMap<string, A.Policy>>;
  readonly barSizes: readonly (number | undefined)[];
  readonly romSize: number | undefined;
  readonly passBytes: readonly { readonly first: number; readonly last: number; readonly attribute: A.Attribute }[];
  readonly permissive: boolean;
}

/**
 * How well one `match` fits: 0 when it does not; a class match is the least
 * specific; an ID match ranks by how many of vendor, device, subsystem vendor
 * and subsystem it names.
 */
function fit(m: A.Match, id: Identity): number {
  if (m.kind === "class") return ((id.classCode ^ m.value) & m.mask) === 0 ? 1 : 0;
  const named = [m.vendor, m.device, m.subsystemVendor, m.subsystem];
  const have = [id.vendor, id.device, id.subsystemVendor, id.subsystem];
  let rank = 1;
  for (let i = 0; i < 4; i++) {
    if (named[i] === undefined) continue;
    if (named[i] !== have[i]) return 0;
    rank++;
  }
  return rank;
}

/** The device file that applies to a device: best fit, the last loaded on a tie. */
export function pickDeviceFile(files: readonly A.Device[], id: Identity): A.Device | undefined {
  let chosen: A.Device | undefined;
  let best = 0;
  for (const file of files) {
    let f = 0;
    for (const m of file.matches) f = Math.max(f, fit(m, id));
    if (f !== 0 && f >= best) {
      chosen = file;
      best = f;
    }
  }
  return chosen;
}

/** Header register.field each `ids` name stands for (PCI LB 3.0 §6.2.1). */
const ID_TARGETS: Readonly<Record<string, readonly [string, string]>> = {
  vendor_id: ["vendor_id", "vendor_id"],
  device_id: ["device_id", "device_id"],
  revision_id: ["revision_id", "revision_id"],
  subsystem_vendor_id: ["subsystem_vendor_id", "subsystem_vendor_id"],
  subsystem_id: ["subsystem_id", "subsystem_id"],
};

function hasField(body: readonly A.LayoutStmt[], register: string, field: string): boolean {
  for (const s of body) {
    if (s.kind === "when") {
      if (hasField(s.then, register, field) || hasField(s.otherwise, register, field)) return true;
    } else if (s.name.name === register && s.fields.some((f) => f.name === field)) return true;
  }
  return false;
}

/** What a device file means (none: every layout's own default). */
export function meaningOf(file: A.Device | undefined, layouts: readonly A.Layout[]): DeviceFileMeaning {
  const allow = new Set<string>();
  const hide = new Set<string>();
  const overrides = new Map<string, Map<string, A.Policy>>();
  const barSizes: (number | undefined)[] = [];
  let romSize: number | undefined;
  const passBytes: { first: number; last: number; attribute: A.Attribute }[] = [];
  let permissive = false;
  const override = (layout: string, key: string, policy: A.Policy) => {
    let m = overrides.get(layout);
    if (!m) overrides.set(layout, (m = new Map()));
    m.set(key, policy);
  };
  for (const s of file?.stmts ?? []) {
    if (s.kind === "allow") for (const n of s.names) allow.add(n.name);
    else if (s.kind === "hide") for (const n of s.names) hide.add(n.name);
    else if (s.kind === "override") {
      const [layout, register, field] = s.path.parts.map((p) => p.name);
      override(layout, `${register}.${field}`, s.policy);
    } else if (s.kind === "ids") {
      for (const { name, value } of s.ids) {
        const target = ID_TARGETS[name.name];
        if (!target) continue;
        const policy: A.Policy = { kind: "emulate", init: { kind: "const", value: value.value }, span: value.span };
        for (const l of layouts) if (l.layoutKind === "header" && hasField(l.body, target[0], target[1])) override(l.name.name, `${target[0]}.${target[1]}`, policy);
      }
    } else if (s.kind === "bar") barSizes[s.index.value] = s.size;
    else if (s.kind === "rom") romSize = s.size;
    else if (s.kind === "passBytes") passBytes.push({ first: s.first.value, last: s.last.value, attribute: s.attribute });
    else if (s.kind === "permissive") permissive = true;
  }
  return { allow, hide, overrides, barSizes, romSize, passBytes, permissive };
}
