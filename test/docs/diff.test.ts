// `cfgvirt diff`: every bit whose attribute or policy differs, grouped by
// register; nothing for identical inputs; text and HTML agree.
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { diff, renderDiffHtml, renderDiffText } from "../../src/docs/diff.js";
import { rulesDir } from "../../src/paths.js";
import { cli } from "../helpers/cli.js";
import { EXAMPLE_NIC, FIXTURE } from "./helpers.js";

/** A copy of the standard library with one edit applied to one file. */
function editedLibrary(file: string, from: RegExp, to: string): string {
  const dir = join(mkdtempSync(join(tmpdir(), "cfgvirt-rules-")), "rules");
  cpSync(rulesDir, dir, { recursive: true });
  const path = join(dir, file);
  const text = readFileSync(path, "utf8");
  expect(text, `${file} should contain ${from}`).toMatch(from);
  writeFileSync(path, text.replace(from, to));
  return dir;
}

describe("diff of two rule sets", () => {
  it("reports exactly the bit whose policy changed, under its register", () => {
    const edited = editedLibrary("msi.rules", /(\[8\]\s+per_vector_mask\s+RO\s+)hide/, "$1pass");
    const d = diff(rulesDir, edited);
    expect(d.kind).toBe("rules");
    expect(d.bits).toBe(1);
    expect(d.groups).toHaveLength(1);
    expect(d.groups[0].title).toMatch(/^msi\.control @ \+0x02 u16/);
    expect(d.groups[0].lines).toMatchObject([{ bits: "[8]", count: 1, a: { attribute: "RO", policy: "hide" }, b: { attribute: "RO", policy: "pass" } }]);
    const text = renderDiffText(d);
    expect(text).toMatch(/msi\.control @ \+0x02 u16\n\s+\[8\]\s+per_vector_mask\s+RO hide\s+->\s+RO pass\n/);
    expect(text).toContain("1 bit(s) differ in 1 register(s)");
    expect(d.hashA).not.toBe(d.hashB);
  });

  it("reports an attribute change over the field's whole range", () => {
    const edited = editedLibrary("msix.rules", /(\[13:11\]\s+-\s+)RsvdP/, "$1RsvdZ");
    const d = diff(rulesDir, edited);
    expect(d.bits).toBe(3);
    expect(d.groups[0].lines).toMatchObject([{ bits: "[13:11]", a: { attribute: "RsvdP" }, b: { attribute: "RsvdZ" } }]);
  });

  it("finds nothing between a rule set and its copy", async () => {
    const copy = join(mkdtempSync(join(tmpdir(), "cfgvirt-rules-")), "rules");
    cpSync(rulesDir, copy, { recursive: true });
    const d = diff(rulesDir, copy);
    expect(d.bits).toBe(0);
    expect(d.notes).toEqual([]);
    const r = await cli("diff", rulesDir, copy, "--exit-code");
    expect(r.code).toBe(0);
    expect(r.out).toContain("no bit differs in attribute or policy");
  });
});

describe("diff of two devices", () => {
  const d = diff(EXAMPLE_NIC, FIXTURE);

  it("shows the override and the hidden capability at their absolute offsets", () => {
    expect(d.kind).toBe("devices");
    const control = d.groups.find((g) => g.title === "0x052 msi.control u16")!;
    expect(control.lines).toMatchObject([{ bits: "[6:4]", a: { field: "multiple_enable", policy: "emulate(0x0)" }, b: { field: "multiple_enable", policy: "pass" } }]);
    const msix = d.groups.filter((g) => g.title.includes("msix"));
    expect(msix.length).toBeGreaterThan(0);
    for (const g of msix) for (const l of g.lines) expect(l.b?.policy).toBe("hide (default)");
    // The MSI next pointer leads nowhere once MSI-X is hidden: same rule, so not a difference.
    expect(d.groups.some((g) => g.title.startsWith("0x050 msi.header"))).toBe(false);
    expect(d.notes).toContainEqual(expect.stringMatching(/^device file: "[^"]+" -> "docs test NIC"$/));
  });

  it("counts every differing bit once, in text and in HTML", () => {
    expect(d.bits).toBe(d.groups.flatMap((g) => g.lines).reduce((n, l) => n + l.count, 0));
    const html = renderDiffHtml(d);
    expect(html).toContain(`data-bits="${d.bits}"`);
    expect(html).not.toMatch(/<script|<link|src=|https?:\/\//);
  });

  it("writes --html and exits 1 with --exit-code when something differs", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "cfgvirt-diff-")), "d.html");
    const r = await cli("diff", EXAMPLE_NIC, FIXTURE, "--html", out, "--exit-code");
    expect(r.code).toBe(1);
    expect(r.out).toContain("0x052 msi.control u16");
    expect(existsSync(out)).toBe(true);
    expect(readFileSync(out, "utf8")).toContain("multiple_enable");
  });

  it("finds nothing between a device and itself", () => {
    const same = diff(FIXTURE, FIXTURE);
    expect(same.bits).toBe(0);
    expect(same.groups).toEqual([]);
  });

  it("refuses to compare a device with a rule set", async () => {
    const r = await cli("diff", rulesDir, EXAMPLE_NIC);
    expect(r.code).toBe(2);
    expect(r.err).toContain("error[E119]: cannot compare a rule set");
  });
});

describe("diff of the library against one device file with an override", () => {
  it("reports only the overridden field, with guards named as the rules write them (issue 12)", () => {
    const dir = mkdtempSync(join(tmpdir(), "cfgvirt-dev-"));
    const file = join(dir, "device.rules");
    writeFileSync(file, 'device "d" match 1234:5678 {\n  override aer.control.ecrc_generation_enable pass\n}\n');
    const d = diff(rulesDir, file);
    expect(d.kind).toBe("rules");
    expect(d.groups.map((g) => g.title.split(" ")[0])).toEqual(["aer.control"]);
    expect(d.bits).toBe(1);
    const text = renderDiffText(d);
    expect(text).not.toMatch(/0x00\[0\]/);
  });
});

describe("diff of compiled rules", () => {
  it("takes a compiled JSON as a rule set, and says it needs the rule files' syntax (not that it is a device)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cfgvirt-diff-json-"));
    const json = join(dir, "std.json");
    const compiled = await cli("compile", "--json");
    expect(compiled.code).toBe(0);
    writeFileSync(json, compiled.out);
    const r = await cli("diff", json, rulesDir);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`error[J003]: ${json} holds compiled rules`);
    expect(r.err).not.toContain("E119");
  });
});
