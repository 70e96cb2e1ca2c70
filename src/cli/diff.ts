import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { diff, renderDiffHtml, renderDiffText } from "../docs/diff.js";
import type { Command } from "./command.js";
import { warningOptions } from "./warnings.js";
import { EXIT, UsageError } from "./command.js";

export const diffCommand: Command = {
  name: "diff",
  summary: "show every bit whose attribute or policy differs between two devices or two rule sets",
  help: `usage: cfgvirt diff A B [--html FILE] [--json]

Compares what the virtualizer does to every bit and prints each bit whose
spec attribute or guest policy differs, grouped by register, as
"bits  field  A-attribute A-policy  ->  B-attribute B-policy".

A and B are either two devices or two rule sets:
  devices     lspci -x/-xxx/-xxxx dumps, binary config files, or rule files
              with an \`image\` (the example devices); each is attached to its
              rules, so bits are compared at their absolute offsets, including
              capabilities hidden on one side only
  rule sets   rule files or directories of .rules files (two versions of the
              standard library, say); compared layout by layout and register by
              register. A file that needs the standard library (a device file)
              is compiled with it, and its overrides and allow/hide apply

  --html FILE   also write the comparison as one self-contained HTML page
  --json        print the comparison as JSON (groups of differing bits)
  --exit-code   accepted for compatibility: diff always exits 1 when
                anything differs, 0 when nothing does (as diff(1) does), and
                2 on a usage or input error
`,
  run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { html: { type: "string" }, json: { type: "boolean" }, "exit-code": { type: "boolean" }, ...warningOptions },
    });
    if (positionals.length !== 2) throw new UsageError(`expected two inputs A and B, got ${positionals.length}`);
    const result = diff(positionals[0], positionals[1]);
    io.out(values.json ? JSON.stringify(result, null, 2) + "\n" : renderDiffText(result));
    if (values.html) writeFileSync(values.html, renderDiffHtml(result));
    return result.bits > 0 ? EXIT.findings : EXIT.ok;
  },
};
