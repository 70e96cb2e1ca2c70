// Issue 12: templates keep guard and size expressions as the rules name them,
// and the committed docs say what the rules say (they once printed AER's Root
// Error guard as `0x02[7:4] == 0x4` and Lane Margining's size without its link
// width and offset).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compileRules } from "../../src/compile/pipeline.js";
import { packageRoot } from "../../src/paths.js";

const doc = readFileSync(join(packageRoot, "docs", "rules.md"), "utf8");

describe("guards and sizes by name", () => {
  it("the compiled template names the field a guard reads", () => {
    const aer = compileRules().templatesByName.get("aer")!;
    expect(aer.guards[0]).toMatchObject({ op: "or", operands: [{ op: "==", path: "pcie.flags.device_type", layout: "pcie", value: 4 }, { path: "pcie.flags.device_type", value: 10 }] });
    const lm = compileRules().templatesByName.get("lane_margining")!;
    expect(lm.size).toMatchObject({ kind: "field", path: "pcie.link_capabilities.max_link_width", scale: 4, add: 8 });
  });

  it("docs/rules.md gives AER's Root Error registers the rule's own guard", () => {
    expect(doc).toContain("Present when `pcie.flags.device_type == 4 || pcie.flags.device_type == 10`");
    expect(doc).not.toMatch(/0x02\[7:4\]/);
  });

  it("docs/rules.md gives Lane Margining's size with its link width, scale and offset", () => {
    expect(doc).toContain("- Size: pcie.link_capabilities.max_link_width × 4 + 0x08 bytes");
  });

  it("a negated comparison keeps its parentheses", () => {
    expect(doc).toContain("!(flags.device_type == 0 || flags.device_type == 1 || flags.device_type == 9) && !(flags.device_type == 7)");
  });
});

describe("## doc comments reach the docs", () => {
  it("each layout's rationale is its description in docs/rules.md", () => {
    const msi = doc.slice(doc.indexOf('<a id="lib-msi"></a>'));
    expect(msi.slice(0, 600)).toMatch(/Address, data and enable are virtual: the platform programs the host's MSI/);
  });
});
