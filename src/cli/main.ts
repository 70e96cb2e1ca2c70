// `cfgvirt VERB ...`: dispatch, help, and the one place that turns errors into
// exit statuses (0 success, 1 usage or input error).
import { CfgvirtError } from "../diag/diagnostic.js";
import { describeErrno } from "../io/input.js";
import { type Command, type Io, UsageError } from "./command.js";
import { compileCommand } from "./compile.js";
import { diffCommand } from "./diff.js";
import { docsCommand } from "./docs.js";
import { explainCommand } from "./explain.js";
import { fuzzCommand } from "./fuzz.js";
import { listCommand } from "./list.js";
import { replayCommand } from "./replay.js";
import { viewCommand } from "./view.js";

export const commands: readonly Command[] = [viewCommand, replayCommand, compileCommand, explainCommand, docsCommand, diffCommand, fuzzCommand, listCommand];

function overview(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    "cfgvirt: PCI configuration-space virtualizer for device pass-through",
    "",
    "usage: cfgvirt VERB [options]      (cfgvirt VERB --help for a verb's options)",
    "",
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
  ].join("\n");
}

export async function run(argv: string[], io: Io): Promise<number> {
  const [verb, ...rest] = argv;
  if (verb === undefined || verb === "--help" || verb === "-h" || verb === "help") {
    io.out(overview() + "\n");
    return verb === undefined ? 1 : 0;
  }
  const command = commands.find((c) => c.name === verb);
  if (!command) {
    io.err(`cfgvirt: unknown verb '${verb}'\n\n${overview()}\n`);
    return 1;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    io.out(command.help.trimEnd() + "\n");
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (e) {
    if (e instanceof CfgvirtError) {
      io.err(e.message + "\n");
      return 1;
    }
    if (e instanceof UsageError || (e instanceof TypeError && "code" in e && String(e.code).startsWith("ERR_PARSE_ARGS"))) {
      io.err(`cfgvirt ${verb}: ${e.message}\n${command.help.split("\n")[0]}\n`);
      return 1;
    }
    if (describeErrno(e) !== undefined) {
      io.err(`cfgvirt ${verb}: ${(e as Error).message}\n`);
      return 1;
    }
    throw e;
  }
}
