// Overrides of a field only a later `when` variant of its register declares
// (PCIe Device Control bit 15 is Bridge Configuration Retry Enable only on a
// PCIe-to-PCI bridge): the fuzzed device files name such fields, and on a
// device where that variant applies, the table runtime and the reference
// agree and both give the override's value, not the rules' own policy.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { accessProfile, accessSequence } from "../../src/fuzz/arbitraries.js";
import { openPairFromSource, runPair } from "../../src/fuzz/harness.js";
import { deviceFiles } from "../../src/fuzz/policies.js";
import { readDeviceSource } from "../../src/open-device.js";
import { formatAccessScript } from "../../src/runtime/script.js";
import type * as A from "../../src/syntax/ast.js";

const BRIDGE = "test/fuzz/fixtures/pcie-pci-bridge.rules";
const source = readDeviceSource(BRIDGE);
const PCIE = 0x40;
const DEVICE_CONTROL = PCIE + 0x08;
const RETRY_BIT = 15;

/** "layout.register.field" of every field some variant of its register has but the first does not (found here, not by the generator). */
function laterVariantFields(layouts: Iterable<A.Layout>): Set<string> {
  const out = new Set<string>();
  for (const l of layouts) {
    const registers = new Map<string, A.Register[]>();
    const walk = (body: readonly A.LayoutStmt[]): void => {
      for (const s of body) {
        if (s.kind === "when") {
          walk(s.then);
          walk(s.otherwise);
        } else registers.set(s.name.name, [...(registers.get(s.name.name) ?? []), s]);
      }
    };
    walk(l.body);
    for (const [name, [first, ...later]] of registers) {
      for (const r of later) for (const f of r.fields) if (f.name && !first.fields.some((x) => x.name === f.name)) out.add(`${l.name.name}.${name}.${f.name}`);
    }
  }
  return out;
}

const pathOf = (s: A.DeviceStmt): string | undefined => (s.kind === "override" ? s.path.parts.map((p) => p.name).join(".") : undefined);

/** The policy the device file leaves on a field: its last override of it (a later one wins). */
function lastOverride(device: A.Device, path: string): A.Policy | undefined {
  let policy: A.Policy | undefined;
  for (const s of device.stmts) if (s.kind === "override" && pathOf(s) === path) policy = s.policy;
  return policy;
}

/** What bit 15 of Device Control must read at attach under that policy (hardware: 1; the rules' own policy: emulate). */
function expectedRetryBit(policy: A.Policy | undefined): number | undefined {
  if (policy === undefined || policy.kind === "pass") return 1;
  if (policy.kind === "hide") return policy.value;
  if (policy.kind === "emulate" || policy.kind === "trap") return policy.init.kind === "const" ? policy.init.value : policy.init.kind === "hw" ? 1 : undefined;
  return undefined;
}

describe("overrides of a field only a later variant of its register has", () => {
  const later = laterVariantFields(source.compiled.layoutsByName.values());

  it("the rules have such a field, and the fixture's hardware sets it", () => {
    expect(later).toContain("pcie.device_control.bridge_config_retry");
    const pair = openPairFromSource(source, { allowBridge: true });
    expect((pair.refHost.words[DEVICE_CONTROL >> 2] >>> RETRY_BIT) & 1).toBe(1);
    expect((pair.table.device.read(DEVICE_CONTROL, 2) >>> RETRY_BIT) & 1).toBe(1);
  });

  it("the fuzzed device files name them (counted)", () => {
    const files = fc.sample(deviceFiles(source.compiled), { seed: 0xb1d9e, numRuns: 300 });
    const overrides = files.flatMap((d) => d.stmts.flatMap((s) => pathOf(s) ?? []));
    const ofLater = overrides.filter((p) => later.has(p));
    const filesWithOne = files.filter((d) => d.stmts.some((s) => later.has(pathOf(s) ?? ""))).length;
    console.log(`variant overrides: ${ofLater.length} of ${overrides.length} generated overrides name a later-variant field, in ${filesWithOne} of ${files.length} device files`);
    expect(ofLater.length).toBeGreaterThanOrEqual(30);
    expect(filesWithOne).toBeGreaterThanOrEqual(30);
  });

  it("hide, emulate and pass of bridge_config_retry take effect on the bridge, in both implementations", () => {
    const span = source.compiled.ruleSet.layouts[0].span;
    const ident = (name: string): A.Ident => ({ name, span });
    const fileWith = (policy: A.Policy): A.Device => ({
      kind: "device",
      name: "retry",
      matches: [],
      span,
      stmts: [{ kind: "override", path: { parts: ["pcie", "device_control", "bridge_config_retry"].map(ident), span }, policy, span }],
    });
    const bit = (v: number) => (v >>> RETRY_BIT) & 1;

    // hide 0: the guest reads 0 where the hardware has 1, and cannot set it.
    let pair = openPairFromSource(source, { allowBridge: true, device: fileWith({ kind: "hide", value: 0, span }) });
    pair.table.device.write(DEVICE_CONTROL, 2, 0xa000);
    pair.ref.write(DEVICE_CONTROL, 2, 0xa000);
    expect([bit(pair.table.device.read(DEVICE_CONTROL, 2)), bit(pair.ref.read(DEVICE_CONTROL, 2))]).toEqual([0, 0]);
    expect(runPair(pair, [])).toBeUndefined();

    // emulate 0: reads 0, a guest write of 0 then 1 lands in the virtual state and never reaches the hardware.
    pair = openPairFromSource(source, { allowBridge: true, device: fileWith({ kind: "emulate", init: { kind: "const", value: 0 }, span }) });
    expect([bit(pair.table.device.read(DEVICE_CONTROL, 2)), bit(pair.ref.read(DEVICE_CONTROL, 2))]).toEqual([0, 0]);
    for (const v of [0x2000, 0xa000]) {
      pair.table.device.write(DEVICE_CONTROL, 2, v);
      pair.ref.write(DEVICE_CONTROL, 2, v);
    }
    expect([bit(pair.table.device.read(DEVICE_CONTROL, 2)), bit(pair.ref.read(DEVICE_CONTROL, 2))]).toEqual([1, 1]);
    expect(runPair(pair, [])).toBeUndefined();

    // pass: a guest write of 0 reaches the hardware (the rules' own policy, emulate, would keep it).
    pair = openPairFromSource(source, { allowBridge: true, device: fileWith({ kind: "pass", span }) });
    pair.table.device.write(DEVICE_CONTROL, 2, 0x2000);
    pair.ref.write(DEVICE_CONTROL, 2, 0x2000);
    expect([bit(pair.table.host.words[DEVICE_CONTROL >> 2]), bit(pair.refHost.words[DEVICE_CONTROL >> 2])]).toEqual([0, 0]);
    expect(runPair(pair, [])).toBeUndefined();
  });

  it("the table runtime and the reference agree under fuzzed device files on the bridge, and both read the override's value at attach", () => {
    let checked = 0;
    fc.assert(
      fc.property(deviceFiles(source.compiled), fc.nat(), (device, seed) => {
        const pair = openPairFromSource(source, { allowBridge: true, device });
        const policy = lastOverride(device, "pcie.device_control.bridge_config_retry");
        const want = expectedRetryBit(policy);
        if (want !== undefined && !device.stmts.some((s) => s.kind === "hide" && s.names.some((n) => n.name === "pcie"))) {
          const got = [(pair.table.device.read(DEVICE_CONTROL, 2) >>> RETRY_BIT) & 1, (pair.ref.read(DEVICE_CONTROL, 2) >>> RETRY_BIT) & 1];
          if (got[0] !== want || got[1] !== want) throw new Error(`bridge_config_retry under ${policy ? JSON.stringify(policy, (k, v: unknown) => (k === "span" ? undefined : v)) : "no override"}: table ${got[0]}, reference ${got[1]}, want ${want}`);
          if (policy !== undefined) checked++;
        }
        const accesses = fc.sample(accessSequence(accessProfile(pair.ref), { minLength: 20, maxLength: 120 }), { seed, numRuns: 1 })[0];
        const m = runPair(pair, accesses);
        if (m) throw new Error(`${m.message}\n${formatAccessScript(accesses.slice(0, m.index + 1))}`);
      }),
      { seed: 0x7e7, numRuns: 200 },
    );
    console.log(`variant overrides: ${checked} fuzzed device files overrode bridge_config_retry on the bridge with a value checked at attach`);
    expect(checked).toBeGreaterThanOrEqual(20);
  }, 60_000);
});
