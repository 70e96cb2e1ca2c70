import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { buildDocs, renderMarkdown } from "../docs/generate.js";
import { docPath } from "../docs/paths.js";
import { renderSite, SITE_DIR } from "../docs/site.js";
import type { Command } from "./command.js";
import { warningOptions } from "./warnings.js";
import { UsageError } from "./command.js";

export const docsCommand: Command = {
  name: "docs",
  summary: "generate coverage documentation (Markdown and a static HTML site) from the rules",
  help: `usage: cfgvirt docs --out DIR [--device FILE]... [--rules FILE]... [--library] [--name NAME] [--json]

Documents what the virtualizer does to every bit, straight from the compiled
rules. Without --device it documents the standard library: every header and
capability layout, register by register. With --device it documents each
device instead: its effective rules after the device file's overrides, placed
at the offsets the device really has, which host capabilities are hidden and
why, and coverage numbers counted from the attached tables.

Writes DIR/NAME.md (Markdown tables, a text bit map per register) and the same
content as a static site in DIR/${SITE_DIR}/: index.html (summary, device files,
devices), one page per layout and per device, a sidebar on every page, and
search.js (the search index and its script). Pages inline their CSS and SVG
diagrams and load nothing but search.js beside them: they work from file://
with no network. Output is deterministic and starts with a "generated from"
banner naming the inputs and a hash of the rules. The committed docs/rules.md
and docs/${SITE_DIR}/ come from \`npm run docs\`.

  --out DIR       where to write (created if missing); stale pages in
                  DIR/${SITE_DIR}/ are removed
  --device FILE   an lspci -x/-xxx/-xxxx dump, a binary config file, or a rule
                  file with an \`image\` (repeatable)
  --rules FILE    extra rule or device files (repeatable); the standard library
                  is always loaded
  --library       with --device, document the standard library as well
  --name NAME     base name of the Markdown file (default: rules without
                  --device, devices with it)
  --json          print a summary as JSON (files written, per device the
                  bits where tables and rules disagree) instead of text
`,
  run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        out: { type: "string" },
        device: { type: "string", multiple: true },
        rules: { type: "string", multiple: true },
        library: { type: "boolean" },
        name: { type: "string" },
        json: { type: "boolean" },
        ...warningOptions,
      },
    });
    if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'; devices are given with --device FILE`);
    if (!values.out) throw new UsageError("--out DIR is required");
    const devices = values.device ?? [];
    const name = values.name ?? (devices.length ? "devices" : "rules");
    if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new UsageError(`--name must be a plain file name, not '${name}'`);
    const set = buildDocs({ devices, rules: values.rules ?? [], library: values.library });
    const md = renderMarkdown(set);
    const site = renderSite(set);
    mkdirSync(values.out, { recursive: true });
    const written: { path: string; bytes: number }[] = [];
    const write = (path: string, text: string) => {
      writeFileSync(path, text);
      written.push({ path: docPath(path), bytes: Buffer.byteLength(text) });
    };
    write(join(values.out, `${name}.md`), md);
    const dir = join(values.out, SITE_DIR);
    mkdirSync(dir, { recursive: true });
    // Pages of layouts that no longer exist would linger and drift: only what this run writes stays.
    for (const f of readdirSync(dir)) if ((f.endsWith(".html") || f === "search.js") && !site.has(f)) rmSync(join(dir, f));
    for (const [file, text] of site) write(join(dir, file), text);
    if (values.json) {
      const devices = set.devices.map((d) => ({ input: d.input, mismatches: d.mismatches.length }));
      io.out(JSON.stringify({ files: written, devices }, null, 2) + "\n");
    } else {
      const [mdFile, ...pages] = written;
      io.out(`wrote ${mdFile.path} (${mdFile.bytes} bytes)\n`);
      io.out(`wrote ${docPath(dir)}/ (${pages.length} files, ${pages.reduce((n, p) => n + p.bytes, 0)} bytes)\n`);
    }
    for (const d of set.devices) {
      if (d.mismatches.length) io.err(`cfgvirt docs: ${d.input}: the tables and the rules disagree on ${d.mismatches.length} bit(s); see the page\n`);
    }
    return 0;
  },
};
