import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { counterexampleScript, runCampaign } from "../fuzz/campaign.js";
import { openPair } from "../fuzz/harness.js";
import { DEFAULT_EXAMPLE } from "../open-device.js";
import { type Command, EXIT, UsageError } from "./command.js";
import { ruleFiles } from "./open.js";
import { deviceHelp, deviceOptions, parseBarOptions } from "./view.js";
import { reportWarnings, warningsFor } from "./warnings.js";

const positiveInt = (name: string, text: string, max = Number.MAX_SAFE_INTEGER): number => {
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > max) throw new UsageError(`${name} must be a whole number from 1 to ${max}, not '${text}'`);
  return Number(text);
};

export const fuzzCommand: Command = {
  name: "fuzz",
  summary: "fuzz a device: table runtime against the reference interpreter",
  help: `usage: cfgvirt fuzz [--device FILE] [--runs N] [--seed S] [--length L] [--out SCRIPT] [--json] [--rules FILE]...

Runs N random guest access sequences (reads and writes of 1, 2 and 4 bytes at
any offset, biased towards the device's registers and capability boundaries)
through the table runtime and the reference interpreter side by side. After
every access the two must agree on the value read, the host's configuration
bytes and the virtual state; hidden bits must read their constant and host
bits the rules do not pass through must keep their value.

Prints the seed (to run the same campaign again), the accesses made and the
accesses per second. On a disagreement, prints the shrunk counterexample as an
access script that \`cfgvirt replay --device FILE SCRIPT\` runs as it is (and
checks against the reference again), and exits with status 1. Progress goes
to stderr. --json prints the result as one object instead.

${deviceHelp}
  --runs N        access sequences to run (default 10000)
  --seed S        fast-check seed (default: random; printed)
  --length L      longest sequence, in accesses (default 200)
  --out SCRIPT    also write the counterexample script to SCRIPT
`,
  run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { ...deviceOptions, runs: { type: "string" }, seed: { type: "string" }, length: { type: "string" }, out: { type: "string" } },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    const runs = values.runs === undefined ? 10000 : positiveInt("--runs", values.runs);
    const maxLength = values.length === undefined ? 200 : positiveInt("--length", values.length, 100000);
    let seed: number;
    if (values.seed === undefined) seed = (Date.now() ^ Math.floor(Math.random() * 2 ** 31)) | 0;
    else if (/^-?\d+$/.test(values.seed) && Math.abs(Number(values.seed)) < 2 ** 31) seed = Number(values.seed);
    else throw new UsageError(`--seed must be a 32-bit integer, not '${values.seed}'`);
    const device = values.device ?? DEFAULT_EXAMPLE;
    const opts = { rules: ruleFiles(values.rules), ...parseBarOptions(values.bar) };
    const pair = openPair(device, opts);
    const stop = reportWarnings(io, warningsFor(pair.table, opts), values["deny-warnings"]);
    if (stop !== undefined) return stop;

    const sized = pair.table.tables.bars.filter((b) => b.size > 0);
    if (!values.json) {
      io.out(`device: ${device}
seed: ${seed}
`);
      io.out(`bars: ${sized.map((b) => `${b.index === 6 ? "rom" : b.index}=${b.size}`).join(" ") || "none"}
`);
    }
    const tty = (process.stderr as { isTTY?: boolean }).isTTY === true;
    let lastTenth = -1;
    const started = performance.now();
    const progress = (done: number, accesses: number) => {
      const rate = accesses / Math.max(1e-3, (performance.now() - started) / 1000);
      const frac = done / runs;
      if (tty) {
        const width = 30;
        const bar = "#".repeat(Math.round(frac * width)).padEnd(width, ".");
        io.err(`\r[${bar}] ${(frac * 100).toFixed(0).padStart(3)}% ${done}/${runs} runs, ${accesses} accesses, ${fmtRate(rate)}/s`);
      } else if (Math.floor(frac * 10) > lastTenth) {
        lastTenth = Math.floor(frac * 10);
        io.err(`fuzz: ${done}/${runs} runs, ${accesses} accesses, ${fmtRate(rate)}/s\n`);
      }
    };
    const result = runCampaign(pair, { runs, seed, maxLength, progress });
    if (tty) io.err("\n");
    const rate = result.accesses / Math.max(1e-6, result.seconds);
    if (values.json) {
      const script = result.failure ? counterexampleScript(result, device) : undefined;
      if (script && values.out) writeFileSync(values.out, script);
      io.out(JSON.stringify({
        device, seed, runs: result.runs, accesses: result.accesses, accessesPerSecond: Math.round(rate),
        agree: !result.failure,
        failure: result.failure ? { message: result.failure.mismatch.message, shrinks: result.failure.shrinks, path: result.failure.path, script } : null,
      }, null, 2) + "\n");
      return result.failure ? EXIT.findings : EXIT.ok;
    }
    io.out(`runs: ${result.runs}\naccesses: ${result.accesses} (table runtime and reference each)\n`);
    io.out(`accesses/second: ${Math.round(rate)} (${fmtRate(rate * 60)} a minute)\n`);
    io.out(`host operations per access: ${result.hostOpsPerAccess.toFixed(3)} (table runtime: configuration reads and writes that reach the device)\n`);
    if (!result.failure) {
      io.out("result: the table runtime and the reference agree\n");
      return 0;
    }
    const script = counterexampleScript(result, device);
    io.out(`result: DISAGREEMENT after ${result.failure.shrinks} shrinks\n${result.failure.mismatch.message}\n\ncounterexample (cfgvirt replay --device ${device} SCRIPT):\n${script}`);
    if (values.out) writeFileSync(values.out, script);
    return EXIT.findings;
  },
};

function fmtRate(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : n.toFixed(0);
}
