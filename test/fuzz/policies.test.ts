// The table runtime against the reference under device policies a device file
// could write: capabilities allowed and hidden, field overrides, BAR and ROM
// sizes, passed bytes, permissive.
import fc from "fast-check";
import { describe, it } from "vitest";
import { accessProfile, accessSequence } from "../../src/fuzz/arbitraries.js";
import { openPairFromSource, runPair } from "../../src/fuzz/harness.js";
import { deviceFiles } from "../../src/fuzz/policies.js";
import { readDeviceSource } from "../../src/open-device.js";
import { formatAccessScript } from "../../src/runtime/script.js";
import { fuzzDevices } from "./devices.js";

const picked = fuzzDevices.filter((d) => !d.bridge && /nic\.rules|sriov-accelerator\.rules|82576|navi23|samsung|ehci/.test(d.name));

describe.each(picked.map((d) => [d.name, d.path] as const))("%s", (_name, path) => {
  const source = readDeviceSource(path);
  it("agrees under random device policies", () => {
    fc.assert(
      fc.property(deviceFiles(source.compiled), fc.nat(), (device, seed) => {
        const pair = openPairFromSource(source, { device });
        const accesses = fc.sample(accessSequence(accessProfile(pair.ref), { minLength: 20, maxLength: 120 }), { seed, numRuns: 1 })[0];
        const m = runPair(pair, accesses);
        if (m) throw new Error(`${m.message}\n${formatAccessScript(accesses.slice(0, m.index + 1))}`);
      }),
      { seed: 0xfee1, numRuns: 150 },
    );
  }, 60_000);
});
