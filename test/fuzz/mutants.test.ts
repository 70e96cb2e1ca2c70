// Every mutant `npm run mutation` plants can still be planted: its code is
// found exactly once in its file (the script itself runs the fuzz suite per
// mutant and is too slow for `npm test`).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { MUTANTS } from "./mutants.js";

describe.each(MUTANTS.map((m) => [`${m.part}: ${m.what}`, m] as const))("%s", (_name, m) => {
  it(`is found exactly once in ${m.file}`, () => {
    const text = readFileSync(m.file, "utf8");
    expect(text.split(m.find).length - 1).toBe(1);
    expect(m.replace).not.toBe(m.find);
  });
});
