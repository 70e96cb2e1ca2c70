// The validate stage, device files: the values a device file gives (match
// masks, IDs, BAR and ROM sizes, byte ranges), and every check a layout gets,
// run again with the device's overrides in place, so that a replacement policy
// is held to what the layout's own would be (unknown hooks, constants that do
// not fit, two hooks in one dword).
import { error, type Diagnostic } from "../../diag/diagnostic.js";
import type * as A from "../../syntax/ast.js";
import type { DevicePolicy } from "../resolve/device.js";
import { validateLayout } from "./layout.js";

const isPow2 = (n: number) => n > 0 && 2 ** Math.round(Math.log2(n)) === n;

export function validateDevice(device: A.Device, policy: DevicePolicy, layouts: ReadonlyMap<string, A.Layout>): Diagnostic[] {
  return [...validateDeviceValues(device), ...validateVisibility(device, policy), ...validateOverrides(policy, layouts)];
}

function validateDeviceValues(device: A.Device): Diagnostic[] {
  const ds: Diagnostic[] = [];
  for (const m of device.matches) {
    // A class code is 24 bits: a value or mask past them would match every device (mask 0) or none.
    if (m.kind === "class" && (m.value > 0xffffff || m.mask > 0xffffff)) {
      ds.push(error("E108", `class match 0x${m.value.toString(16)}${m.mask === 0xffffff ? "" : `/0x${m.mask.toString(16)}`} is wider than the 24-bit class code`, m.span,
        "write `class 0xCCSSPP` or `class 0xCCSSPP/0xMMMMMM`, e.g. `class 0x020000/0xff0000`"));
    }
  }
  for (const stmt of device.stmts) {
    switch (stmt.kind) {
      case "ids":
        for (const { value } of stmt.ids) {
          if (value.value > 0xffff) ds.push(error("E108", `ID value 0x${value.value.toString(16)} does not fit`, value.span, `IDs are at most 0xffff (revision 0xff)`));
        }
        break;
      case "bar":
        if (stmt.index.value > 5) ds.push(error("E117", `BAR index ${stmt.index.value} is out of range`, stmt.index.span, `BARs are numbered 0 to 5`));
        else if (!isPow2(stmt.size)) ds.push(error("E117", `BAR size ${stmt.size} is not a power of two`, stmt.span, `BAR sizes are powers of two, e.g. 16K`));
        break;
      case "rom":
        if (!isPow2(stmt.size) || stmt.size < 2048) ds.push(error("E117", `ROM size ${stmt.size} is not a power of two of at least 2K`, stmt.span));
        break;
      case "passBytes":
        if (stmt.last.value < stmt.first.value || stmt.last.value > 0xfff) {
          ds.push(error("E117", `byte range 0x${stmt.first.value.toString(16)}..0x${stmt.last.value.toString(16)} is not within 0..0xfff`, stmt.span));
        }
        break;
      default:
        break;
    }
  }
  return ds;
}

function validateVisibility(device: A.Device, policy: DevicePolicy): Diagnostic[] {
  return [...policy.allow].filter((n) => policy.hide.has(n)).map((n) => error("E104", `device "${device.name}" both allows and hides \`${n}\``, device.span));
}

/** What the overrides cause in each layout they touch, not the layout's own errors again. */
function validateOverrides(policy: DevicePolicy, layouts: ReadonlyMap<string, A.Layout>): Diagnostic[] {
  const ds: Diagnostic[] = [];
  for (const [layoutName, overrides] of policy.overrides) {
    const layout = layouts.get(layoutName);
    if (!layout) continue;
    const withOverrides = validateLayout(layout, overrides, layouts);
    if (withOverrides.length === 0) continue;
    const own = new Set(validateLayout(layout, new Map(), layouts).map(diagnosticKey));
    ds.push(...withOverrides.filter((d) => !own.has(diagnosticKey(d))));
  }
  return ds;
}

const diagnosticKey = (d: Diagnostic): string => `${d.code}|${d.message}|${d.span?.source.path ?? ""}|${d.span?.start ?? -1}`;
