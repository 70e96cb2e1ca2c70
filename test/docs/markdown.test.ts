// The Markdown renders as tables on a standard renderer (markdown-it, GFM
// tables), with the expected headers and one row per field, reserved range
// and uncovered range; the device summary rows carry the tables' own counts.
import MarkdownIt from "markdown-it";
import { describe, expect, it } from "vitest";
import { compileRules, compileRuleText } from "../../src/compile/pipeline.js";
import { buildDocs, renderMarkdown } from "../../src/docs/generate.js";
import { libraryDoc } from "../../src/docs/model.js";
import { EXAMPLE_NIC, FIXTURE, ownCounts } from "./helpers.js";

const md = new MarkdownIt({ html: true });

interface Table {
  headers: string[];
  rows: string[][];
  /** The text of the nearest heading above the table. */
  heading: string;
}

/** Parse Markdown to HTML with markdown-it and read every <table> back, with the heading before it. */
function tablesOf(markdown: string): Table[] {
  const html = md.render(markdown);
  const strip = (s: string) => s.replace(/<[^>]+>/g, "").replace(/&amp;/g, "&").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').trim();
  const out: Table[] = [];
  const re = /<h[1-6][^>]*>([\s\S]*?)<\/h[1-6]>|<table>([\s\S]*?)<\/table>/g;
  let heading = "";
  for (let m = re.exec(html); m; m = re.exec(html)) {
    if (m[1] !== undefined) {
      heading = strip(m[1]);
      continue;
    }
    const body = m[2];
    const headers = [...body.matchAll(/<th[^>]*>([\s\S]*?)<\/th>/g)].map((x) => strip(x[1]));
    const tbody = body.split("<tbody>")[1] ?? "";
    const rows = [...tbody.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((r) => [...r[1].matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((c) => strip(c[1])));
    out.push({ headers, rows, heading });
  }
  return out;
}

const FIELD_HEADERS = ["Bits", "Field", "Attribute", "Policy", "Initial value", "Notes"];

describe("Markdown of the standard library", () => {
  const compiled = compileRules();
  const markdown = renderMarkdown(buildDocs());
  const tables = tablesOf(markdown);

  it("renders every register as a table with the field headers", () => {
    const fieldTables = tables.filter((t) => t.headers.join("|") === FIELD_HEADERS.join("|"));
    const registers = new Set(compiled.templates.flatMap((t) => t.fields.map((f) => `${t.name}/${f.register}@${f.offset}#${f.guard}`)));
    expect(fieldTables.length).toBe(registers.size);
    for (const t of fieldTables) for (const r of t.rows) expect(r).toHaveLength(6);
  });

  it("lists each field of MSI Control with its attribute and policy, and the reserved range", () => {
    const msi = compiled.templatesByName.get("msi")!;
    const table = tables.find((t) => t.heading.startsWith("control @ +0x02") && t.rows.some((r) => r[1] === "multiple_enable"))!;
    expect(table).toBeDefined();
    const fields = msi.fields.filter((f) => f.register === "control");
    expect(table.rows).toHaveLength(fields.length);
    for (const f of fields) {
      const row = table.rows.find((r) => r[0] === (f.hi === f.lo ? `[${f.lo}]` : `[${f.hi}:${f.lo}]`))!;
      expect(row, `row for bits ${f.hi}:${f.lo}`).toBeDefined();
      expect(row[1]).toBe(f.field ?? "(reserved)");
      expect(row[2]).toBe(f.attribute);
      expect(row[3].split("(")[0]).toBe(f.policy);
    }
    expect(table.rows.find((r) => r[0] === "[15:11]")).toEqual(expect.arrayContaining(["(reserved)", "RsvdP", "hide"]));
  });

  it("has a summary table whose explicit column adds up", () => {
    const summary = tables.find((t) => t.headers[0] === "Layout")!;
    expect(summary.headers).toEqual(["Layout", "Pass", "Emulate", "Hide", "Hook", "Explicit (rules)", "Default (uncovered)", "Conditional"]);
    expect(summary.rows.map((r) => r[0])).toEqual(expect.arrayContaining(["type0", "msi", "msix", "pm", "Total"]));
    for (const r of summary.rows) expect(Number(r[1]) + Number(r[2]) + Number(r[3]) + Number(r[4])).toBe(Number(r[5]));
  });
});

describe("uncovered ranges", () => {
  it("get an explicit row: denied by default, or the layout's rest rule", () => {
    const text = `capability gappy id 0x7e size 0x10 {
  register header @ 0x00 u16 { [7:0] id RO pass; [15:8] next RO emulate(next) }
  register ctl @ 0x04 u16 { [0] on RW emulate(0); [15:1] - RsvdP hide }
}`;
    const doc = libraryDoc(compileRuleText("gappy.rules", text, { standard: false }));
    const layout = doc.layouts.find((l) => l.name === "gappy")!;
    expect(layout.gaps.map((g) => [g.first, g.last, g.category])).toEqual([[2, 3, "default"], [6, 15, "default"]]);
    expect(layout.counts.default).toBe(12 * 8);
    const markdown = renderMarkdown({ banner: { command: "t", ruleFiles: [], rulesHash: "0", inputs: [], refresh: undefined }, library: doc, devices: [], opened: [] });
    const gapTable = tablesOf(markdown).find((t) => t.heading.startsWith("Bytes of gappy"))!;
    expect(gapTable.headers).toEqual(FIELD_HEADERS);
    expect(gapTable.rows.map((r) => [r[0], r[1], r[3]])).toEqual([
      ["bytes +0x02..+0x03", "(uncovered)", "hide (default)"],
      ["bytes +0x06..+0x0f", "(uncovered)", "hide (default)"],
    ]);
  });
});

describe("Markdown of devices", () => {
  const set = buildDocs({ devices: [FIXTURE, EXAMPLE_NIC] });
  const tables = tablesOf(renderMarkdown(set));
  const summaries = tables.filter((t) => t.headers[0] === "Region");

  it("has one summary per device whose total row equals the tables' own counts", () => {
    expect(summaries).toHaveLength(2);
    for (const [i, opened] of set.opened.entries()) {
      const total = summaries[i].rows.find((r) => r[0] === "Device total")!;
      const own = ownCounts(opened.tables, 0, opened.host.size);
      const [pass, emulate, hide, hook, explicit, deny, dpass, all] = total.slice(1).map(Number);
      expect(pass).toBe(own.pass);
      expect(emulate + hide + hook).toBe(own.virtual);
      expect(explicit).toBe(own.pass + own.virtual);
      expect(deny).toBe(own.denied);
      expect(dpass).toBe(own.permissivePass);
      expect(all).toBe(opened.host.size * 8);
    }
  });

  it("shows per capability rows equal to the tables' counts over its bytes", () => {
    const opened = set.opened[0];
    for (const p of opened.tables.placed.filter((x) => x.visible)) {
      const row = summaries[0].rows.find((r) => r[0] === `${p.template.name} @ 0x${p.offset.toString(16).padStart(3, "0")}`)!;
      expect(row, p.template.name).toBeDefined();
      const own = ownCounts(opened.tables, p.offset, p.offset + p.size);
      expect(Number(row[1])).toBe(own.pass);
      expect(Number(row[2]) + Number(row[3]) + Number(row[4])).toBe(own.virtual);
      expect(Number(row[6])).toBe(own.denied);
    }
  });

  it("names the hidden capability with its reason and the override that applied", () => {
    const hidden = tables.find((t) => t.headers.join("|") === "Offset|Capability|Layout|Why")!;
    expect(hidden.rows).toEqual([["0x070", "capability 0x11", "msix", 'hidden by device "docs test NIC"']]);
    const overrides = tables.find((t) => t.headers[0] === "Field" && t.headers[3] === "Override")!;
    expect(overrides.rows).toEqual([["msi.control.multiple_enable", "0x052 [6:4]", "pass", "test/docs/fixtures/policy-nic.rules:5"]]);
  });
});
