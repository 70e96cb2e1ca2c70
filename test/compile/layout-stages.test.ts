// Each layout is validated and lowered once per process while it and the
// layouts it names are unchanged (src/compile/layout-stages.ts): compiling the
// standard library with another device file reuses the library's templates, and
// a layout whose size or guard reads another layout's field is lowered again
// when that layout is replaced.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compileRules, compileRuleText, standardRuleFiles } from "../../src/compile/pipeline.js";
import { rulesDir } from "../../src/paths.js";

const PCIE = join(rulesDir, "pcie.rules");
const withoutPcie = () => standardRuleFiles().filter((f) => f !== PCIE);
/** The standard library with its own pcie layout replaced by `text`. */
const withPcie = (text: string) => compileRules([...withoutPcie(), "my-pcie.rules"], { standard: false, sources: new Map([["my-pcie.rules", text]]) });
/** phy16's size reads pcie.link_capabilities.max_link_width. */
const sizeField = (t: ReturnType<typeof compileRules>) => {
  const size = t.templatesByName.get("phy16")?.size;
  return size?.kind === "field" ? { layout: size.layout, lo: size.lo, hi: size.hi } : size;
};

describe("the validate and lower stages of an unchanged layout", () => {
  it("run once for two compiles of the library with different device files", () => {
    const a = compileRuleText("a.rules", 'device "a" match 8086:10c9 { hide msi }\n');
    const b = compileRuleText("b.rules", 'device "b" match 8086:10d3 { hide msix }\n');
    for (const t of a.templates) expect(b.templatesByName.get(t.name), t.name).toBe(t);
  });

  it("run again for a layout whose size reads a field of a replaced layout, with the replacement's bits", () => {
    const std = compileRuleText("c.rules", 'device "c" match 8086:10c9 { }\n');
    expect(sizeField(std)).toEqual({ layout: "pcie", lo: 4, hi: 9 });
    const original = readFileSync(PCIE, "utf8");
    const moved = original.replace("[3:0]   max_link_speed ", "[9:6]   max_link_speed ").replace("[9:4]   max_link_width ", "[5:0]   max_link_width ");
    expect(moved).not.toBe(original);
    const mine = withPcie(moved);
    expect(sizeField(mine)).toEqual({ layout: "pcie", lo: 0, hi: 5 });
    // Layouts that name no pcie field are still the library's own.
    expect(mine.templatesByName.get("msi")).toBe(std.templatesByName.get("msi"));
    // And back: the library's pcie gives the library's bits again.
    expect(sizeField(compileRuleText("d.rules", 'device "d" match 8086:10c9 { }\n'))).toEqual({ layout: "pcie", lo: 4, hi: 9 });
  });

  it("equal a compile in which no layout was seen before (every template)", () => {
    const text = 'device "e" match 8086:10c9 { hide msi }\n';
    const warm = compileRuleText("e.rules", text);
    // A copy of every library file under another name: new syntax trees, nothing reused.
    const fresh = compileRules(standardRuleFiles().map((f) => `${f}.copy.rules`).concat("e.rules"), {
      standard: false,
      sources: new Map([...standardRuleFiles().map((f) => [`${f}.copy.rules`, readFileSync(f, "utf8")] as const), ["e.rules", text]]),
    });
    const strip = (t: unknown) => JSON.parse(JSON.stringify(t, (k, v) => (k === "source" || k === "path" ? undefined : v)));
    expect(fresh.templates.map((t) => t.name)).toEqual(warm.templates.map((t) => t.name));
    for (const t of warm.templates) {
      expect(fresh.templatesByName.get(t.name), t.name).not.toBe(t);
      expect(strip(fresh.templatesByName.get(t.name)), t.name).toEqual(strip(t));
    }
  });
});
