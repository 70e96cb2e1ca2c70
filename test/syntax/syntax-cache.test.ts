// The standard library's syntax trees as the build saves them: read back, each
// is the tree the parser makes of the same text (same keys in the same order,
// undefined values included, spans that point into the caller's source), and a
// changed text, parser or document is never served.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { standardRuleFiles } from "../../src/compile/pipeline.js";
import { rulesDir } from "../../src/paths.js";
import type * as A from "../../src/syntax/ast.js";
import { parseRules } from "../../src/syntax/parse.js";
import { savedSyntax, writeSyntaxCache } from "../../src/syntax/syntax-cache.js";

const dir = mkdtempSync(join(tmpdir(), "cfgvirt-syntax-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const files = standardRuleFiles().map((fullPath) => {
  const text = readFileSync(fullPath, "utf8");
  const r = parseRules(fullPath, text);
  if (!r.ok) throw new Error(`${fullPath} does not parse`);
  return { fullPath, text, file: r.file };
});
const saved = join(dir, "stdlib-syntax.json");
writeSyntaxCache(files, saved);

/** Every key path and value in order, spans as their file and offsets: what a JSON dump would lose (undefined, order) kept. */
function shape(v: unknown, out: string[] = [], at = ""): string[] {
  if (Array.isArray(v)) v.forEach((x, i) => shape(x, out, `${at}[${i}]`));
  else if (v !== null && typeof v === "object") {
    if ("text" in v && "path" in v && !("items" in v)) out.push(`${at}=source(${(v as { path: string }).path})`);
    else for (const k of Object.keys(v)) shape((v as Record<string, unknown>)[k], out, `${at}.${k}`);
  } else out.push(`${at}=${String(v)}`);
  return out;
}

describe("the standard library's saved syntax trees", () => {
  it("every standard file reads back as the tree the parser makes: keys, order, undefined values and spans", () => {
    expect(files.length).toBeGreaterThan(30);
    for (const f of files) {
      const name = relative(process.cwd(), f.fullPath);
      const back = savedSyntax(f.fullPath, name, f.text, saved);
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
    const back = savedSyntax(f.fullPath, "shown/aer.rules", f.text, saved)!;
    const layout = back.items.find((i): i is A.Layout => i.kind === "layout")!;
    const source = layout.name.span.source;
    expect(source.path).toBe("shown/aer.rules");
    expect(source.text).toBe(f.text);
    const { line, col } = source.position(layout.name.span.start);
    expect(source.lineText(line).slice(col - 1)).toMatch(/^aer id 0x0001/);
  });

  it("each call gets trees of its own", () => {
    const f = files[0];
    const a = savedSyntax(f.fullPath, "a.rules", f.text, saved)!;
    const b = savedSyntax(f.fullPath, "a.rules", f.text, saved)!;
    expect(a).toStrictEqual(b);
    expect(a.items[0]).not.toBe(b.items[0]);
  });

  it("a text other than the one saved, a file not saved, another parser or a damaged document: nothing is served", () => {
    const f = files[0];
    expect(savedSyntax(f.fullPath, "x.rules", f.text + "\n# edited\n", saved)).toBeUndefined();
    expect(savedSyntax(join(rulesDir, "not-in-the-library.rules"), "x.rules", f.text, saved)).toBeUndefined();
    const other = join(dir, "other-parser.json");
    writeFileSync(other, readFileSync(saved, "utf8").replace(/"parser":"[0-9a-f]+"/, `"parser":"${"0".repeat(64)}"`));
    expect(savedSyntax(f.fullPath, "x.rules", f.text, other)).toBeUndefined();
    const damaged = join(dir, "damaged.json");
    writeFileSync(damaged, readFileSync(saved, "utf8").slice(0, 1000));
    expect(savedSyntax(f.fullPath, "x.rules", f.text, damaged)).toBeUndefined();
  });
});
