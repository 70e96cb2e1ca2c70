// A fuzz campaign: random guest access sequences through the table runtime and
// the reference interpreter side by side, with fast-check driving generation,
// replay by seed, and shrinking of a disagreement to a short access script.
import fc from "fast-check";
import { formatAccessScript } from "../runtime/script.js";
import { accessProfile, accessSequence } from "./arbitraries.js";
import { checkInvariants, type DevicePair, type GuestAccess, type Mismatch, resetPair, runPair } from "./harness.js";
import { snapshotHidden, verifyHidden } from "./hidden.js";

/** The pair's differential run, then the hidden-stays-hidden invariant on the table side. */
function runChecked(pair: DevicePair, seq: readonly GuestAccess[], afterRun: () => void = () => {}): Mismatch | undefined {
  const snap = snapshotHidden(pair.table);
  const m = runPair(pair, seq, { finalScan: false });
  // The hidden check's own reads are not guest accesses: host traffic is counted before it.
  afterRun();
  if (m) return m;
  const leak = verifyHidden(pair.table, snap);
  return leak ? { index: seq.length, message: leak } : undefined;
}

export interface CampaignOptions {
  readonly runs: number;
  readonly seed: number;
  /** Longest access sequence of one run. */
  readonly maxLength?: number;
  /** Called now and then with the runs and accesses done so far. */
  readonly progress?: (runsDone: number, accesses: number) => void;
}

export interface CampaignResult {
  readonly seed: number;
  readonly runs: number;
  /** Guest accesses executed, through both implementations, before any failure. */
  readonly accesses: number;
  readonly seconds: number;
  /** Host configuration reads and writes of the table runtime per guest access (on real hardware each costs about a microsecond). */
  readonly hostOpsPerAccess: number;
  readonly failure?: {
    /** The shrunk counterexample, cut after the access where the disagreement shows. */
    readonly accesses: readonly GuestAccess[];
    readonly mismatch: Mismatch;
    /** fast-check's replay path, with the seed. */
    readonly path: string;
    readonly shrinks: number;
  };
}

export function runCampaign(pair: DevicePair, opts: CampaignOptions): CampaignResult {
  const arb = accessSequence(accessProfile(pair.ref), { minLength: 1, maxLength: opts.maxLength ?? 200 });
  let runs = 0;
  let accesses = 0;
  let failed = false;
  let lastReport = 0;
  const start = performance.now();
  // The whole space once, at attach; then each run checks what its accesses can change.
  resetPair(pair);
  const atAttach = checkInvariants(pair, 0);
  if (atAttach) return { seed: opts.seed, runs: 0, accesses: 0, seconds: 0, hostOpsPerAccess: 0, failure: { accesses: [], mismatch: atAttach, path: "", shrinks: 0 } };
  pair.tableHost.resetCounts();
  let hostOps = 0;
  const property = fc.property(arb, (seq) => {
    resetPair(pair);
    const before = pair.tableHost.operations;
    const m = runChecked(pair, seq, () => {
      if (!failed) hostOps += pair.tableHost.operations - before;
    });
    if (!failed) {
      accesses += seq.length;
      runs++;
      if (m) failed = true;
      else if (opts.progress && runs - lastReport >= 64) {
        lastReport = runs;
        opts.progress(runs, accesses);
      }
    }
    return m === undefined;
  });
  const details = fc.check(property, { seed: opts.seed, numRuns: opts.runs, endOnFailure: false });
  const seconds = (performance.now() - start) / 1000;
  opts.progress?.(runs, accesses);
  const hostOpsPerAccess = accesses > 0 ? hostOps / accesses : 0;
  if (!details.failed || !details.counterexample) return { seed: opts.seed, runs, accesses, seconds, hostOpsPerAccess };
  const seq = details.counterexample[0];
  resetPair(pair);
  const mismatch = runChecked(pair, seq) ?? { index: seq.length, message: String(details.errorInstance ?? "property failed") };
  return {
    seed: opts.seed,
    runs,
    accesses,
    seconds,
    hostOpsPerAccess,
    failure: { accesses: seq.slice(0, mismatch.index + 1), mismatch, path: details.counterexamplePath ?? "", shrinks: details.numShrinks },
  };
}

/** A counterexample as a script `cfgvirt replay` runs as it is. */
export function counterexampleScript(result: CampaignResult, device: string): string {
  const f = result.failure!;
  return [
    `# cfgvirt fuzz counterexample: ${device}, seed ${result.seed}, path ${f.path}`,
    `# ${f.mismatch.message.split("\n")[0]}`,
    formatAccessScript(f.accesses),
  ].join("\n");
}
