// Recovery, as properties over the real rule files: cutting a file into items
// loses nothing, and a slip inside one item is reported in that item and no other.
import fc from "fast-check";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { rulesFilesIn } from "../../src/compile/pipeline.js";
import { parseRules } from "../../src/syntax/parse.js";
import { splitItems } from "../../src/syntax/syntax-errors.js";

const files = [...rulesFilesIn("rules"), ...rulesFilesIn("examples")].map((path) => ({ path, text: readFileSync(path, "utf8") }));

const startsCache = new Map<string, number[]>();
function itemStarts(path: string, text: string): number[] {
  const hit = startsCache.get(text);
  if (hit) return hit;
  const r = parseRules(path, text);
  if (!r.ok) throw new Error(`${path} does not parse`);
  const starts = r.file.items.map((i) => i.span.start);
  startsCache.set(text, starts);
  return starts;
}

describe("recovery properties", () => {
  it("every rule file's items each fall in one chunk, and every chunk holds an item", () => {
    expect(files.length).toBeGreaterThan(30);
    for (const { path, text } of files) {
      const r = parseRules(path, text);
      if (!r.ok) throw new Error(`${path} does not parse`);
      const chunks = splitItems(text);
      for (const item of r.file.items) {
        expect(chunks.some((c) => c.start <= item.span.start && item.span.end <= c.end), `${path}: item at ${item.span.start}`).toBe(true);
      }
      for (const c of chunks) expect(r.file.items.some((i) => c.start <= i.span.start && i.span.end <= c.end), `${path}: chunk at ${c.start}`).toBe(true);
      expect(chunks.every((c) => c.unclosed === undefined)).toBe(true);
    }
  });

  it("a character spoilt inside one item gives errors in that item only", () => {
    // Single files, and a few run together so that most texts hold several items.
    const joined = [0, 7, 14, 21].map((k) => ({ path: `joined-${k}.rules`, text: files.slice(k, k + 6).map((f) => f.text).join("\n") }));
    const multi = [...files, ...joined];
    expect(joined.every((j) => itemStarts(j.path, j.text).length >= 6)).toBe(true);
    fc.assert(
      fc.property(fc.constantFrom(...multi), fc.nat(), ({ path, text }, at) => {
        const starts = itemStarts(path, text);
        const candidates = [...text].flatMap((ch, i) => (/[{}"\s]/.test(ch) ? [] : [i]));
        const p = candidates[at % candidates.length];
        const spoilt = text.slice(0, p) + "§" + text.slice(p + 1);
        const r = parseRules(path, spoilt);
        if (r.ok) return true; // inside a comment or a string
        const from = Math.max(0, ...starts.filter((s) => s <= p));
        const to = Math.min(spoilt.length, ...starts.filter((s) => s > p));
        expect(r.diagnostics.length).toBe(1);
        const d = r.diagnostics[0];
        expect(d.span!.start, `${path}: spoilt at ${p}, reported at ${d.span!.start}`).toBeGreaterThanOrEqual(from);
        expect(d.span!.start).toBeLessThan(to);
        // The other items still parse (text before the first item spoils no item).
        expect(r.partial.items.length).toBe(starts.length - (p >= starts[0] ? 1 : 0));
        return true;
      }),
      { seed: 20261126, numRuns: 50 },
    );
  }, 60_000);
});
