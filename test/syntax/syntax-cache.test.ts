// The syntax trees the build saves (the standard library and the examples): read
// back, each is the tree the parser makes of the same text (same keys in the
// same order, undefined values included, spans that point into the caller's
// source), and a changed text, parser, parser source or document is never served.
import { execFile } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { rulesFilesIn, standardRuleFiles } from "../../src/compile/pipeline.js";
import { examplesDir, packageRoot } from "../../src/paths.js";
import type * as A from "../../src/syntax/ast.js";
import { parseRules } from "../../src/syntax/parse.js";
import { parserSourceHash, savedSyntax, syntaxCachePath, writeSyntaxCache } from "../../src/syntax/syntax-cache.js";

const dir = mkdtempSync(join(tmpdir(), "cfgvirt-syntax-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const examples = rulesFilesIn(examplesDir);
const files = [...standardRuleFiles(), ...examples].map((fullPath) => {
  const text = readFileSync(fullPath, "utf8");
  const r = parseRules(fullPath, text);
  if (!r.ok) throw new Error(`${fullPath} does not parse`);
  return { fullPath, text, file: r.file };
});
const saved = join(dir, "stdlib-syntax.json");
writeSyntaxCache(files, saved);

/** A copy of a document with its header changed (the body, and so its checksum, kept). */
function withHeader(from: string, name: string, change: (header: Record<string, unknown>) => void): string {
  const text = readFileSync(from, "utf8");
  const nl = text.indexOf("\n");
  const header = JSON.parse(text.slice(0, nl)) as Record<string, unknown>;
  change(header);
  const out = join(dir, name);
  writeFileSync(out, JSON.stringify(header) + text.slice(nl));
  return out;
}

/** Every key path and value in order, spans as their file and offsets: what a JSON dump would lose (undefined, order) kept. */
function shape(v: unknown, out: string[] = [], at = ""): string[] {
  if (Array.isArray(v)) v.forEach((x, i) => shape(x, out, `${at}[${i}]`));
  else if (v !== null && typeof v === "object") {
    if ("text" in v && "path" in v && !("items" in v)) out.push(`${at}=source(${(v as { path: string }).path})`);
    else for (const k of Object.keys(v)) shape((v as Record<string, unknown>)[k], out, `${at}.${k}`);
  } else out.push(`${at}=${String(v)}`);
  return out;
}

describe("the saved syntax trees of the standard library and the examples", () => {
  it("every standard and example file reads back as the tree the parser makes: keys, order, undefined values and spans", () => {
    expect(files.length).toBeGreaterThan(30);
    expect(examples.map((p) => relative(examplesDir, p))).toEqual(expect.arrayContaining(["nic.rules", join("platform", "root-port.rules"), join("platform", "host-bridge.rules")]));
    for (const f of files) {
      const name = relative(process.cwd(), f.fullPath);
      const back = savedSyntax(name, f.text, saved);
      const fresh = parseRules(name, f.text);
      expect(back, name).toBeDefined();
      expect(fresh.ok).toBe(true);
      if (!fresh.ok) continue;
      expect(back).toStrictEqual(fresh.file);
      expect(shape(back)).toEqual(shape(fresh.file));
    }
  });

  it("spans point into the caller's source: positions and source lines work as after parsing", () => {
    const f = files.find((x) => x.fullPath.endsWith(join("ext", "aer.rules")))!;
    const back = savedSyntax("shown/aer.rules", f.text, saved)!;
    const layout = back.items.find((i): i is A.Layout => i.kind === "layout")!;
    const source = layout.name.span.source;
    expect(source.path).toBe("shown/aer.rules");
    expect(source.text).toBe(f.text);
    const { line, col } = source.position(layout.name.span.start);
    expect(source.lineText(line).slice(col - 1)).toMatch(/^aer id 0x0001/);
  });

  it("each call gets trees of its own", () => {
    const f = files[0];
    const a = savedSyntax("a.rules", f.text, saved)!;
    const b = savedSyntax("a.rules", f.text, saved)!;
    expect(a).toStrictEqual(b);
    expect(a.items[0]).not.toBe(b.items[0]);
  });

  it("a tree is found by its text alone: a copy of an example elsewhere, under another name, is served", () => {
    const nic = files.find((f) => f.fullPath === join(examplesDir, "nic.rules"))!;
    const back = savedSyntax("my-copy/nic.rules", nic.text, saved);
    const fresh = parseRules("my-copy/nic.rules", nic.text);
    expect(fresh.ok && back).toStrictEqual(fresh.ok && fresh.file);
  });

  it("an edited text, another parser, another format or a damaged document: nothing is served", () => {
    const f = files.find((x) => x.fullPath === join(examplesDir, "nic.rules"))!;
    expect(savedSyntax("x.rules", f.text, saved)).toBeDefined();
    expect(savedSyntax("x.rules", f.text + "\n# edited\n", saved)).toBeUndefined();
    expect(savedSyntax("x.rules", f.text.replace("bar 0 size 128K", "bar 0 size 64K"), saved)).toBeUndefined();
    const other = withHeader(saved, "other-parser.json", (h) => {
      h.parser = "0".repeat(64);
      h.sources = "0".repeat(64);
    });
    expect(savedSyntax("x.rules", f.text, other)).toBeUndefined();
    const oldFormat = withHeader(saved, "old-format.json", (h) => {
      h.format = "cfgvirt-syntax/1";
    });
    expect(savedSyntax("x.rules", f.text, oldFormat)).toBeUndefined();
    const truncated = join(dir, "truncated.json");
    writeFileSync(truncated, readFileSync(saved, "utf8").slice(0, 100_000));
    expect(savedSyntax("x.rules", f.text, truncated)).toBeUndefined();
    // Still valid JSON, a tree changed: the body's checksum no longer matches.
    const tampered = join(dir, "tampered.json");
    const text = readFileSync(saved, "utf8");
    expect(text).toContain('"cfgvirt example NIC"');
    writeFileSync(tampered, text.replace('"cfgvirt example NIC"', '"cfgvirt example NIX"'));
    expect(savedSyntax("x.rules", f.text, tampered)).toBeUndefined();
  });
});

describe("a run from src/ and the build's trees (dist/src/syntax/stdlib-syntax.json)", () => {
  const nic = files.find((x) => x.fullPath === join(examplesDir, "nic.rules"))!;

  it("are served while src/syntax and the grammar hash as the sources dist was built from (test/global-setup.ts builds dist first)", () => {
    expect(syntaxCachePath).toBe(join(packageRoot, "dist", "src", "syntax", "stdlib-syntax.json"));
    const header = JSON.parse(readFileSync(syntaxCachePath, "utf8").split("\n", 1)[0]) as { parser: string; sources: string };
    expect(header.sources).toBe(parserSourceHash());
    // The build ran the compiled parser: its hash is not this run's.
    expect(header.parser).not.toBe(header.sources);
    const fresh = parseRules("x.rules", nic.text);
    expect(fresh.ok).toBe(true);
    expect(savedSyntax("x.rules", nic.text, syntaxCachePath)).toStrictEqual(fresh.ok && fresh.file);
  });

  it("are not served when the parser's sources changed after the build", () => {
    const stale = withHeader(syntaxCachePath, "stale-sources.json", (h) => {
      h.sources = "0".repeat(64);
    });
    expect(savedSyntax("x.rules", nic.text, stale)).toBeUndefined();
  });

  it("a package copy whose parser source was edited after the build parses with the edited parser, never reading the old trees", async () => {
    const copy = join(dir, "package");
    for (const p of ["src", "grammar", "rules", "examples", "package.json"]) cpSync(join(packageRoot, p), join(copy, p), { recursive: true });
    symlinkSync(join(packageRoot, "node_modules"), join(copy, "node_modules"));
    mkdirSync(join(copy, "dist", "src", "syntax"), { recursive: true });
    cpSync(syntaxCachePath, join(copy, "dist", "src", "syntax", "stdlib-syntax.json"));
    const parse = join(copy, "src", "syntax", "parse.ts");
    const source = readFileSync(parse, "utf8");
    const edited = source.replace("return { name: node.sourceString, span: span(node) };", 'return { name: "edited:" + node.sourceString, span: span(node) };');
    expect(edited).not.toBe(source);
    writeFileSync(parse, edited);
    // Each identifier's name, and whether ohm-js loaded, as a run from the copy's src/ sees them.
    writeFileSync(join(copy, "probe.ts"), [
      'import { createRequire } from "node:module";',
      'import { loadRuleSet } from "./src/compile/resolve/files.ts";',
      'const { ruleSet } = loadRuleSet(["examples/nic.rules", "rules/ext/aer.rules"]);',
      'const names = [...JSON.stringify(ruleSet.files.map((f) => f.items), (k, v) => (k === "source" ? undefined : v)).matchAll(/"name":"([^"]*)"/g)].map((m) => m[1]);',
      'const ohm = Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes("/ohm-js/"));',
      "process.stdout.write(JSON.stringify({ names, ohm }));",
    ].join("\n"));
    const out = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ["--import", "tsx", "probe.ts"], { cwd: copy, encoding: "utf8" }, (e, stdout, stderr) => (e ? reject(new Error(stderr)) : resolve(stdout)));
    });
    const probe = JSON.parse(out) as { names: string[]; ohm: boolean };
    expect(probe.ohm).toBe(true);
    expect(probe.names).toContain("edited:aer");
    expect(probe.names).not.toContain("aer");
  });
});
