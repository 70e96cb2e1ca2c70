import { parseArgs } from "node:util";
import { ERROR_CODES, errorCode, renderErrorCatalogue, renderErrorCode } from "../diag/codes.js";
import { suggestionHelp } from "../diag/suggest.js";
import { type Command, EXIT, UsageError } from "./command.js";

export const explainErrorCommand: Command = {
  name: "explain-error",
  summary: "explain an error code, with an example and the fix",
  help: `usage: cfgvirt explain-error CODE | --all

Prints what an error code (the CODE in error[CODE]) means, an input that
causes it, and how to fix it. With --all, prints every code as Markdown
(docs/errors.md is this output).

  --all   every code
`,
  run(args, io) {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { all: { type: "boolean" } } });
    if (values.all) {
      io.out(renderErrorCatalogue());
      return EXIT.ok;
    }
    if (positionals.length !== 1) throw new UsageError("give one error code, e.g. E110, or --all");
    const entry = errorCode(positionals[0]);
    if (!entry) {
      io.err(`cfgvirt explain-error: no error code '${positionals[0]}'; ${suggestionHelp(positionals[0].toUpperCase(), ERROR_CODES.map((e) => e.code), "codes")}\n`);
      return EXIT.usage;
    }
    io.out(renderErrorCode(entry, "#") + "\n");
    return EXIT.ok;
  },
};
