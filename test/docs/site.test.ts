// Issue 12, the docs a register-manual reader would choose: the committed
// docs/html/ is a site with one page per layout, a sidebar on every page
// listing every page, a search index, the doc comments on the pages, each
// override listed once, and no Markdown left in the HTML. These read the
// committed files, so they failed on the single page docs/rules.html.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { prose } from "../../src/docs/html.js";
import { buildDocs, renderMarkdown } from "../../src/docs/generate.js";
import { renderSite } from "../../src/docs/site.js";
import { packageRoot } from "../../src/paths.js";
import { DOCUMENTED, FIXTURE, searchIndex, textNodes } from "./helpers.js";

const SITE = join(packageRoot, "docs", "html");
const read = (f: string) => readFileSync(join(SITE, f), "utf8");
const committed = (() => {
  try {
    return readdirSync(SITE).sort();
  } catch {
    return [];
  }
})();
const pages = committed.filter((f) => f.endsWith(".html"));
const library = buildDocs().library!;

/** The sidebar's links of a page, in order. */
function sidebarLinks(html: string): string[] {
  const nav = html.match(/<nav class="sidebar"[\s\S]*?<\/nav>/)?.[0] ?? "";
  return [...nav.matchAll(/<a[^>]* href="([^"]+)"/g)].map((m) => m[1]);
}

describe("docs/html: one page per layout", () => {
  it("has index.html, one page per header type, capability and extended capability, and search.js", () => {
    expect(committed).toEqual(["index.html", ...library.layouts.map((l) => `${l.anchor}.html`), "search.js"].sort());
    expect(library.layouts.filter((l) => l.kind === "extended").length).toBeGreaterThan(10);
  });

  it("every page's sidebar lists every page, grouped, and marks the page it is on", () => {
    expect(pages.length).toBeGreaterThan(30);
    for (const page of pages) {
      const html = read(page);
      const links = sidebarLinks(html);
      expect(links, page).toEqual(expect.arrayContaining(pages));
      for (const group of ["Header types", "Capabilities", "Extended capabilities"]) expect(html, page).toContain(`>${group}</h2>`);
      const nav = html.match(/<nav class="sidebar"[\s\S]*?<\/nav>/)![0];
      expect(nav.match(/aria-current="page"/g), page).toHaveLength(1);
      expect(html, page).toMatch(new RegExp(`href="${page.replace(".", "\\.")}" aria-current="page"`));
    }
  });

  it("the index has the per-layout table with counts, each row linking to the layout's page", () => {
    const index = read("index.html");
    for (const l of library.layouts) {
      const row = index.match(new RegExp(`<tr data-layout="${l.name}">.*?</tr>`))?.[0] ?? "";
      expect(row, l.name).toContain(`<a href="${l.anchor}.html">${l.name}</a>`);
      expect(row, l.name).toContain(`<td class="num" data-count="pass">${l.counts.pass}</td>`);
    }
  });

  it("a layout page holds that layout's registers only, with the layout's doc comment", () => {
    const msi = read("lib-msi.html");
    const msiDoc = library.layouts.find((l) => l.name === "msi")!;
    const ids = [...msi.matchAll(/<section class="register" id="([^"]+)"/g)].map((m) => m[1]);
    expect(ids).toEqual(msiDoc.registers.map((r) => r.anchor));
    expect(msi).toContain(`<p class="description">Address, data and enable are virtual`);
    expect(msi.length).toBeLessThan(100_000);
  });
});

describe("docs/html: no Markdown in the HTML", () => {
  it("no text node of any page holds a backtick, ** or a Markdown link", () => {
    expect(pages.length).toBeGreaterThan(0);
    for (const page of pages) {
      const stray = textNodes(read(page)).filter((t) => /`|\*\*|\]\(/.test(t));
      expect(stray, page).toEqual([]);
    }
  });

  it("prose: the text a reader sees is the source text without its backticks, every span in <code> (property, fixed seed)", () => {
    const text = fc.array(fc.constantFrom("a", " ", "`", "<", ">", "&", "\"", "x_y", "*"), { maxLength: 40 }).map((parts) => parts.join(""));
    fc.assert(
      fc.property(text, (s) => {
        const html = prose(s);
        const seen = html.replace(/<\/?code>/g, "").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&amp;/g, "&");
        expect(seen).toBe(s.replace(/`/g, ""));
        expect(html.replace(/<\/?code>/g, "").replace(/&lt;|&gt;|&amp;|&quot;/g, "")).not.toMatch(/[`<>"]/);
        expect(html.match(/<code>/g)?.length ?? 0).toBe(Math.ceil((s.split("`").length - 1) / 2));
      }),
      { seed: 1212, numRuns: 300 },
    );
  });

  it("code spans of notes and doc comments become <code>", () => {
    expect(read("lib-msi.html")).toContain("Registers with a <code>when</code> guard");
    const site = renderSite(buildDocs({ rules: [DOCUMENTED] }));
    const page = site.get("lib-documented_test.html")!;
    expect(page).toContain(`<p class="description">A test capability: its <code>enable</code> bit is emulated so the guest may flip it freely.</p>`);
    expect(page).toContain(`<p class="description">The control register, with a <code>code</code> span in its description.</p>`);
    expect(textNodes(page).filter((t) => t.includes("`"))).toEqual([]);
  });
});

describe("doc comments reach the pages and the search index", () => {
  const set = buildDocs({ rules: [DOCUMENTED] });
  const site = renderSite(set);
  const page = site.get("lib-documented_test.html")!;

  it("shows the field's and the register's description, and the register's own spec citation", () => {
    const row = page.match(/<tr id="lib-documented_test-control--widget_enable"[\s\S]*?<\/tr>/)?.[0] ?? "";
    expect(row).toContain(`<span class="doc">Turns the widget on; the <code>hardware</code> never sees it.</span>`);
    expect(page).toContain("Spec: Fixture §1.2.");
    expect(page).toMatch(/<td>\[15:1\]<\/td><td>\(reserved\)<\/td>.*reserved by the fixture/);
  });

  it("indexes layouts, registers and fields with their descriptions", () => {
    const index = searchIndex(site.get("search.js")!);
    expect(index).toContainEqual(["documented_test.control.widget_enable", "field [0] RW emulate(0x0)", "lib-documented_test.html#lib-documented_test-control--widget_enable", "Turns the widget on; the `hardware` never sees it."]);
    expect(index).toContainEqual(["documented_test.control", "register +02", "lib-documented_test.html#lib-documented_test-control", expect.stringContaining("The control register")]);
  });

  it("the committed index finds per_vector_mask on the MSI page, at its row", () => {
    const index = searchIndex(read("search.js"));
    const hit = index.find((e) => e[0] === "msi.control.per_vector_mask");
    expect(hit?.[2]).toBe("lib-msi.html#lib-msi-control--per_vector_mask");
    expect(read("lib-msi.html")).toContain(`<tr id="lib-msi-control--per_vector_mask">`);
  });
});

describe("each override is listed once", () => {
  const set = buildDocs({ devices: [FIXTURE] });
  const override = "test/docs/fixtures/policy-nic.rules:5";

  it("on the device page: in the overrides table only; the field's row and the policy point to it", () => {
    const page = renderSite(set).get("dev1.html")!;
    expect(page.split(override)).toHaveLength(2);
    expect(page).toMatch(/<table class="overrides">.*policy-nic\.rules:5/);
    expect(page).toMatch(/<tr id="dev1-msi-control--multiple_enable" class="overridden">.*<a href="#overrides">overridden by the device file<\/a>/);
    expect(page).toContain(`<li>Overrides: <a href="#overrides">1, listed under Overrides applied</a></li>`);
  });

  it("in the Markdown too", () => {
    expect(renderMarkdown(set).split(override)).toHaveLength(2);
  });
});

describe("self-contained", () => {
  it("pages load nothing but search.js beside them: no network, no other asset", () => {
    for (const page of pages) {
      const html = read(page);
      expect(html.match(/<script[^>]*>/g), page).toEqual([`<script src="search.js">`]);
      expect(html, page).not.toMatch(/<link|<img|<iframe|@import|url\(["']?(https?:|\/\/)|(src|href)="(https?:|\/\/)/);
    }
    expect(read("search.js")).not.toMatch(/https?:|fetch\(|XMLHttpRequest|import\(/);
  });
});
