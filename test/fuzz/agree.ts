// The property several fuzz tests share: under fuzzed device files (policies a
// device file could write) and fuzzed guest accesses, the table runtime and the
// reference agree on one device: reads, host bytes, virtual state, hook runs.
import fc from "fast-check";
import { accessProfile, accessSequence } from "../../src/fuzz/arbitraries.js";
import { openPairFromSource, runPair } from "../../src/fuzz/harness.js";
import { deviceFiles } from "../../src/fuzz/policies.js";
import type { DeviceSource } from "../../src/open-device.js";
import { formatAccessScript } from "../../src/runtime/script.js";

export function assertAgreesUnderDeviceFiles(source: DeviceSource, run: { readonly seed: number; readonly numRuns: number }): void {
  fc.assert(
    fc.property(deviceFiles(source.compiled), fc.nat(), (device, seed) => {
      const pair = openPairFromSource(source, { device });
      const accesses = fc.sample(accessSequence(accessProfile(pair.ref), { minLength: 20, maxLength: 120 }), { seed, numRuns: 1 })[0];
      const m = runPair(pair, accesses);
      if (m) throw new Error(`${m.message}\n${formatAccessScript(accesses.slice(0, m.index + 1))}`);
    }),
    run,
  );
}
