// The standard library's files are parsed once per process (issue 13: parsing
// was nine tenths of every compile of the library with a device file), and a
// device file's own text is never taken from that memo.
import { describe, expect, it } from "vitest";
import { compileRuleText } from "../../src/compile/pipeline.js";
import { standardRuleFiles } from "../../src/compile/resolve/files.js";

describe("parsing the standard library", () => {
  it("happens once for two compiles with different device files, which still differ", () => {
    const a = compileRuleText("a.rules", 'device "a" match 8086:10c9 { hide msi }\n');
    const b = compileRuleText("b.rules", 'device "b" match 8086:10d3 { hide msix }\n');
    const n = standardRuleFiles().length;
    expect(a.ruleSet.files.length).toBe(n + 1);
    for (let i = 0; i < n; i++) expect(b.ruleSet.files[i]).toBe(a.ruleSet.files[i]);
    expect(a.devices.map((d) => d.name)).toContain("a");
    expect(b.devices.map((d) => d.name)).toContain("b");
    expect(b.devices.map((d) => d.name)).not.toContain("a");
  });

  it("does not reuse a file held in memory under a standard library file's name", () => {
    const [first] = standardRuleFiles();
    const mine = compileRuleText(first, 'device "mine" match 8086:10c9 { }\n', { standard: false });
    expect(mine.ruleSet.files).toHaveLength(1);
    expect(mine.devices.map((d) => d.name)).toEqual(["mine"]);
  });
});
