import { parseArgs } from "node:util";
import { compileRules } from "../compile/pipeline.js";
import { compiledToJson } from "../compile/compiled-json.js";
import { ruleWarnings } from "../compile/warnings.js";
import { CfgvirtError, denyWarnings } from "../diag/diagnostic.js";
import { formatDiagnosticsJson } from "../diag/json.js";
import { type Command, EXIT, UsageError } from "./command.js";
import { reportWarnings, warningHelp, warningOptions } from "./warnings.js";

export const compileCommand: Command = {
  name: "compile",
  summary: "check rule files and print the compiled templates",
  help: `usage: cfgvirt compile [RULES...] [--json] [--no-std] [--deny-warnings] [--error-format text|json]

Compiles the standard library and the given rule files, reporting every error
of a stage as path:line:col with the source line. With --json, prints the
compiled rules as one JSON document (schema: compiledSchemas() in the package):
templates, device files and warnings, attachable as they are, so that every
verb's --rules takes the file in place of the rule files. Otherwise one line
per layout and device file. Given such a JSON file, checks it against the schema.

  --json      print the compiled rules as JSON
  --no-std    compile only the given files, without the standard library
${warningHelp}
  --error-format json
              report errors and warnings on stderr as JSON Lines, one object per
              diagnostic: file, line, col, endLine, endCol (1-based, end
              exclusive), code, severity, message, help (for editors and tools)
`,
  run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { json: { type: "boolean" }, "no-std": { type: "boolean" }, "error-format": { type: "string", default: "text" }, ...warningOptions },
    });
    const format = values["error-format"];
    if (format !== "text" && format !== "json") throw new UsageError(`--error-format is text or json, not '${format}'`);
    let compiled;
    try {
      compiled = compileRules(positionals, { standard: !values["no-std"] });
    } catch (e) {
      if (format !== "json" || !(e instanceof CfgvirtError)) throw e;
      io.err(formatDiagnosticsJson(e.diagnostics));
      return EXIT.usage;
    }
    if (format === "json") {
      // Like rustc's --error-format json: diagnostics on stderr, one object a line; stdout keeps the output.
      const warnings = ruleWarnings(compiled);
      io.err(formatDiagnosticsJson(values["deny-warnings"] ? denyWarnings(warnings) : warnings));
      if (values["deny-warnings"] && warnings.length > 0) return EXIT.usage;
    } else {
      const stop = reportWarnings(io, ruleWarnings(compiled), values["deny-warnings"]);
      if (stop !== undefined) return stop;
    }
    if (values.json) {
      io.out(JSON.stringify(compiledToJson(compiled, ruleWarnings(compiled)), null, 1) + "\n");
      return 0;
    }
    for (const t of compiled.templates) {
      const id = t.kind === "header" ? `type ${t.id}` : `id 0x${t.id.toString(16).padStart(t.kind === "extended" ? 4 : 2, "0")}`;
      io.out(`${t.kind.padEnd(10)} ${t.name.padEnd(14)} ${id.padEnd(10)} ${t.fields.length} fields  ${t.source.path}:${t.source.line}\n`);
    }
    for (const d of compiled.devices) io.out(`device     ${d.name}  ${d.source.path}:${d.source.line}\n`);
    return 0;
  },
};
