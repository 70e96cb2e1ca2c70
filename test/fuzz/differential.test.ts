// The table runtime against the reference interpreter, on every example device
// and every real dump: the same accesses give the same reads, the same final
// host bytes and the same virtual state; hidden bits read their constant; host
// bits the rules do not pass through never change; no access throws.
import { packHot } from "../../src/runtime/attach.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CfgvirtError } from "../../src/diag/diagnostic.js";
import { accessProfile, accessSequence, applyMutations, hostMutations } from "../../src/fuzz/arbitraries.js";
import { type DevicePair, type GuestAccess, openPair, openPairFromSource, resetPair, runPair } from "../../src/fuzz/harness.js";
import { readDeviceSource } from "../../src/open-device.js";
import { formatAccessScript } from "../../src/runtime/script.js";
import { fuzzDevices, haveSharedDevices } from "./devices.js";

const SEED = 0x5eed;
const RUNS = 300;

function mustAgree(pair: DevicePair, accesses: GuestAccess[]): void {
  resetPair(pair);
  const m = runPair(pair, accesses);
  if (m) {
    const scriptable = accesses.slice(0, m.index + 1).every((a) => [1, 2, 4].includes(a.size) && Number.isInteger(a.offset) && a.offset >= 0 && a.offset < 4096);
    throw new Error(`${m.message}\n${scriptable ? formatAccessScript(accesses.slice(0, m.index + 1)) : JSON.stringify(accesses.slice(0, m.index + 1))}`);
  }
}

it("has the example devices, and the real dumps unless absent", () => {
  expect(fuzzDevices.filter((d) => d.name.startsWith("example")).length).toBeGreaterThanOrEqual(1);
  if (haveSharedDevices) expect(fuzzDevices.length).toBeGreaterThanOrEqual(10);
});

describe.each(fuzzDevices.map((d) => [d.name, d] as const))("%s", (_name, dev) => {
  const opts = { allowBridge: dev.bridge };
  let pair: DevicePair | undefined;
  let refused: unknown;
  try {
    pair = openPair(dev.path, opts);
  } catch (e) {
    refused = e;
  }

  it("opens through both implementations, or is refused with a diagnostic", () => {
    if (refused !== undefined) {
      expect(refused).toBeInstanceOf(CfgvirtError);
      console.warn(`${dev.name}: refused by attach (${(refused as CfgvirtError).code}); differential tests skipped`);
    } else expect(pair).toBeDefined();
  });

  it.skipIf(!pair)("agrees on the whole guest view at attach, at every size and alignment", () => {
    const all: GuestAccess[] = [];
    for (const size of [4, 2, 1]) for (let o = 0; o < 4096; o += size === 4 ? 4 : 1) all.push({ kind: "r", offset: o, size });
    mustAgree(pair!, all);
  });

  it.skipIf(!pair)("agrees on random access sequences (reads, final host and virtual state, invariants)", () => {
    const profile = accessProfile(pair!.ref);
    fc.assert(fc.property(accessSequence(profile, { maxLength: 80 }), (accesses) => mustAgree(pair!, accesses)), { seed: SEED, numRuns: RUNS });
  });

  it.skipIf(!pair)("agrees on odd accesses (bad sizes and offsets, dword-crossing, past the end) and never throws", () => {
    const profile = accessProfile(pair!.ref);
    fc.assert(fc.property(accessSequence(profile, { maxLength: 40, odd: true }), (accesses) => mustAgree(pair!, accesses)), { seed: SEED + 1, numRuns: 60 });
  });

  it.skipIf(!pair)("agrees on mutated host states (both attach, or both refuse)", () => {
    const source = readDeviceSource(dev.path);
    const profile = accessProfile(pair!.ref);
    fc.assert(
      fc.property(hostMutations(profile), accessSequence(profile, { maxLength: 40 }), (mutations, accesses) => {
        const bytes = applyMutations(source.bytes, mutations);
        let p: DevicePair;
        try {
          p = openPairFromSource(source, { ...opts, bytes });
        } catch (e) {
          if (!(e instanceof CfgvirtError)) throw e;
          return;
        }
        mustAgree(p, accesses);
      }),
      { seed: SEED + 2, numRuns: 60 },
    );
  });

  it.skipIf(!pair)("agrees after surprise removal (the host reads all-ones)", () => {
    const profile = accessProfile(pair!.ref);
    fc.assert(
      fc.property(accessSequence(profile, { maxLength: 30 }), accessSequence(profile, { maxLength: 30 }), (before, after) => {
        resetPair(pair!);
        const m = runPair(pair!, before);
        if (m) throw new Error(m.message);
        pair!.table.host.removed = pair!.refHost.removed = true;
        try {
          const m2 = runPair(pair!, after, { invariants: false });
          if (m2) throw new Error(`${m2.message}\n${formatAccessScript(after)}`);
        } finally {
          pair!.table.host.removed = pair!.refHost.removed = false;
        }
      }),
      { seed: SEED + 3, numRuns: 20 },
    );
  });
});

describe("the oracle catches a runtime that goes wrong", () => {
  const dev = fuzzDevices.find((d) => d.name.startsWith("example"))!;
  const planted: [string, (t: DevicePair["table"]["tables"]) => void][] = [
    ["an emulated Command bit written through to the hardware", (t) => { t.hwWrite[1] |= 1; t.preserve[1] &= ~1; }],
    ["an emulated register that ignores writes", (t) => { t.virtWrite[0x0f] &= ~0xff; }],
    ["a hidden bit read from the hardware", (t) => { t.hwRead[3] |= 0x80000000; t.virtRead[3] &= ~0x80000000; }],
    ["a status RW1C bit written back as read", (t) => { t.preserve[1] |= 0xf9000000; }],
  ];
  it.each(planted)("%s", (_what, plant) => {
    const pair = openPair(dev.path);
    // Error bits set on the host and BIST capable, so that the planted faults can show.
    for (const p of [pair.table.host, pair.refHost]) p.words[1] |= 0xf9000000;
    for (const p of [pair.table.host, pair.refHost]) p.words[3] |= 0x80000000;
    pair.initialHost.set(pair.refHost.words);
    plant(pair.table.tables);
    packHot(pair.table.tables);
    const profile = accessProfile(pair.ref);
    const r = fc.check(fc.property(accessSequence(profile, { maxLength: 80 }), (a) => mustAgree(pair, a)), { seed: SEED, numRuns: 300 });
    expect(r.failed).toBe(true);
    // Shrinking leaves a short script.
    expect((r.counterexample![0] as GuestAccess[]).length).toBeLessThanOrEqual(3);
  });
});
