// The table runtime against the reference under device policies a device file
// could write: capabilities allowed and hidden, field overrides, BAR and ROM
// sizes, passed bytes, permissive.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileDevice, compileRules } from "../../src/compile/pipeline.js";
import { deviceFiles } from "../../src/fuzz/policies.js";
import { readDeviceSource } from "../../src/open-device.js";
import { assertAgreesUnderDeviceFiles } from "./agree.js";
import { fuzzDevices } from "./devices.js";

const picked = fuzzDevices.filter((d) => !d.bridge && /nic\.rules|sriov-accelerator\.rules|82576|navi23|samsung|ehci/.test(d.name));

describe.each(picked.map((d) => [d.name, d.path] as const))("%s", (_name, path) => {
  const source = readDeviceSource(path);
  it("agrees under random device policies", () => {
    assertAgreesUnderDeviceFiles(source, { seed: 0xfee1, numRuns: 150 });
  }, 60_000);
});

describe("the device-file generator", () => {
  it("writes only device files the compiler accepts, hooks included (one hook per dword, E113)", () => {
    const compiled = compileRules();
    const files = fc.sample(deviceFiles(compiled, { barOverrides: true }), { seed: 0xacce97, numRuns: 1500 });
    const rejected = files.flatMap((d) => compileDevice(d, compiled.layoutsByName).diagnostics.filter((x) => x.severity === "error").map((x) => `${x.code}: ${x.message}`));
    expect(rejected).toEqual([]);
    const traps = files.flatMap((d) => d.stmts.filter((s) => s.kind === "override" && s.policy.kind === "trap")).length;
    console.log(`device-file generator: ${files.length} files compiled clean, ${traps} trap overrides among them`);
    expect(traps).toBeGreaterThan(200);
  });
});
