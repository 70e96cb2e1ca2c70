// The apply stage: one device file applied to the compiled layouts, in the
// README's fixed order, as one function, at compile time. Attach only places
// what this produces. Pure: the validate stage has checked the device file.
//
//   1. each layout's own default (`hidden "reason"` layouts are hidden);
//   2. `allow` / `hide` of whole capabilities;
//   3. `override` and `ids`, in file order (a later one for the same field wins);
//   4. BAR and ROM sizes (carried in the policy; the command line's win at attach);
//   5. `pass FIRST..LAST` ranges, and 6. default deny or `permissive`: byte
//      facts that need the device's placement, carried in the policy for attach.
import type * as A from "../../syntax/ast.js";
import { lowerLayout } from "../lower/layout.js";
import type { DevicePolicy } from "../resolve/device.js";
import type { Template } from "../template.js";

export interface LayoutVisibility {
  readonly visible: boolean;
  /** Why it is shown or hidden, for `view --format json`, explain and docs. */
  readonly reason: string;
}

export interface AppliedDevice {
  readonly policy: DevicePolicy;
  /** Every layout's template, with this device's overrides lowered in. */
  readonly templates: ReadonlyMap<string, Template>;
  readonly visibility: ReadonlyMap<string, LayoutVisibility>;
}

/** What applying needs of a compiled rule set (a subset of CompiledRules). */
export interface LayoutsAndTemplates {
  readonly layoutsByName: ReadonlyMap<string, A.Layout>;
  readonly templatesByName: ReadonlyMap<string, Template>;
}

export function applyDevice(compiled: LayoutsAndTemplates, policy: DevicePolicy): AppliedDevice {
  const visibility = new Map<string, LayoutVisibility>();
  for (const t of compiled.templatesByName.values()) {
    // Steps 1 and 2.
    let v: LayoutVisibility = { visible: true, reason: t.kind === "header" ? "header" : "shown by default" };
    if (t.hiddenReason !== undefined) v = { visible: false, reason: `hidden by default: ${t.hiddenReason}` };
    if (policy.hide.has(t.name)) v = { visible: false, reason: `hidden by device "${policy.name}"` };
    else if (policy.allow.has(t.name)) v = { visible: true, reason: `allowed by device "${policy.name}"` };
    visibility.set(t.name, v);
  }
  // Step 3: the overrides were resolved against the layouts in file order (a
  // later one replaced an earlier one for the same field); they are lowered in here.
  const templates = new Map(compiled.templatesByName);
  for (const [layoutName, overrides] of policy.overrides) {
    const layout = compiled.layoutsByName.get(layoutName);
    if (layout) templates.set(layoutName, lowerLayout(layout, overrides, compiled.layoutsByName));
  }
  return { policy, templates, visibility };
}

/**
 * The applied form of a policy. Device files are applied once when their rule
 * set compiles; a policy built by a library caller (or the fuzzer) is applied
 * on first use, through the same function.
 */
export function appliedDevice(compiled: LayoutsAndTemplates, policy: DevicePolicy): AppliedDevice {
  let perPolicy = cache.get(compiled);
  if (!perPolicy) cache.set(compiled, (perPolicy = new WeakMap()));
  let applied = perPolicy.get(policy);
  if (!applied) perPolicy.set(policy, (applied = applyDevice(compiled, policy)));
  return applied;
}

/** Record an application made at compile time, so attach reuses it. */
export function rememberApplied(compiled: LayoutsAndTemplates, applied: AppliedDevice): void {
  let perPolicy = cache.get(compiled);
  if (!perPolicy) cache.set(compiled, (perPolicy = new WeakMap()));
  perPolicy.set(applied.policy, applied);
}

const cache = new WeakMap<LayoutsAndTemplates, WeakMap<DevicePolicy, AppliedDevice>>();
