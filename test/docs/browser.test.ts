// Issue 5 and issue 12 acceptance: the docs site renders in headless Chromium
// (Debian's, driven by playwright-core) from file:// with no console errors and
// no network; the sidebar navigates between pages; search finds a field and
// opens its row; every register diagram is present and visible; the summary
// numbers on the device pages equal the attached tables' own counts.
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildDocs } from "../../src/docs/generate.js";
import { diff, renderDiffHtml } from "../../src/docs/diff.js";
import { renderSite } from "../../src/docs/site.js";
import { type Browser, CHROMIUM, haveChromium, INSTALL_CHROMIUM, inCI, launch, requireChromium } from "./chromium.js";
import { EXAMPLE_NIC, FIXTURE, hookDwordBits, ownCounts, writeSiteToTemp } from "./helpers.js";
import { renderReadmeImage } from "./readme-image.js";

requireChromium();
if (!haveChromium && !inCI) console.warn(`skipping the Chromium docs tests: ${CHROMIUM} is missing (${INSTALL_CHROMIUM})`);

const shots = mkdtempSync(join(tmpdir(), "cfgvirt-shots-"));

/** A PNG file: signature, IHDR size, and more than a blank page's bytes. */
function checkPng(path: string, minBytes: number): { width: number; height: number } {
  const data = readFileSync(path);
  expect(data.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
  expect(statSync(path).size).toBeGreaterThan(minBytes);
  return { width: data.readUInt32BE(16), height: data.readUInt32BE(20) };
}

describe.skipIf(!haveChromium)("the docs site in headless Chromium", () => {
  let browser: Browser;
  const errors: string[] = [];
  const set = buildDocs({ devices: [FIXTURE, EXAMPLE_NIC], library: true });
  const site = renderSite(set);
  const base = writeSiteToTemp(site, "browser");
  const pages = [...site.keys()].filter((f) => f.endsWith(".html"));
  /** The register anchors each page draws, from the model. */
  const registersOf = new Map<string, string[]>([
    ["index.html", []],
    ...(set.library?.layouts ?? []).map((l) => [`${l.anchor}.html`, l.registers.map((r) => r.anchor)] as [string, string[]]),
    ...set.devices.map((d) => [`${d.anchor}.html`, d.layouts.flatMap((l) => l.registers.map((r) => r.anchor))] as [string, string[]]),
  ]);

  async function newPage(): Promise<Page> {
    const page = await browser.context.newPage();
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") errors.push(`${m.type()}: ${m.text()}`);
    });
    page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
    return page;
  }

  let page: Page;
  const go = async (file: string) => {
    await page.goto(base + file, { waitUntil: "load" });
  };
  beforeAll(async () => {
    browser = await launch();
    page = await newPage();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });

  it("takes a screenshot that is a non-trivial PNG", async () => {
    await go("index.html");
    const path = join(shots, "docs.png");
    await page.screenshot({ path, fullPage: false });
    const { width, height } = checkPng(path, 20_000);
    expect([width, height]).toEqual([1200, 900]);
    await go("lib-msi.html");
    const diagramShot = join(shots, "msi-control.png");
    await page.locator("#diagram-lib-msi-control").screenshot({ path: diagramShot });
    checkPng(diagramShot, 3_000);
  });

  it("navigates by the sidebar: a click lands on the layout's page, marked current, with its diagrams drawn", async () => {
    await go("index.html");
    const sidebar = page.locator("nav.sidebar");
    await expect.poll(() => sidebar.locator("h2").allInnerTexts()).toEqual(["HEADER TYPES", "CAPABILITIES", "EXTENDED CAPABILITIES", "DEVICE FILES", "DEVICES"]);
    for (const [link, file, heading] of [
      ["lib-msi.html", "lib-msi.html", "msi: capability 0x05"],
      ["lib-aer.html", "lib-aer.html", "aer: extended capability 0x0001"],
      ["lib-type1.html", "lib-type1.html", "type1: header type 1"],
      ["dev1.html", "dev1.html", `Device ${set.devices[0].input}`],
    ] as const) {
      await sidebar.locator(`a[href="${link}"]`).click();
      await page.waitForURL(`**/${file}`);
      expect(await page.locator("main h1").first().innerText()).toBe(heading);
      expect(await page.locator(`nav.sidebar a[aria-current="page"]`).getAttribute("href")).toBe(file);
      const diagrams = page.locator("main svg.cv-diagram");
      expect(await diagrams.count(), file).toBe(registersOf.get(file)!.length);
      const box = await diagrams.first().boundingBox();
      expect(box!.width, file).toBeGreaterThan(100);
      // The sidebar stays in view beside the content.
      const nav = await sidebar.boundingBox();
      expect(nav!.x).toBe(0);
      expect(box!.x).toBeGreaterThan(nav!.width);
    }
    // A register link of the page's own list scrolls to that register.
    await go("lib-msi.html");
    await page.locator(`ul.toc a[href="#lib-msi-control"]`).click();
    expect(page.url()).toMatch(/lib-msi\.html#lib-msi-control$/);
    expect(await page.locator("#lib-msi-control h2").isVisible()).toBe(true);
  });

  it("searches: typing a field name lists it first, linking to its row on the MSI page; Enter opens it", async () => {
    await go("index.html");
    await page.locator("#search").fill("per_vector_mask");
    const results = page.locator("#search-results a");
    await expect.poll(() => results.count()).toBeGreaterThan(0);
    expect(await results.first().innerText()).toBe("msi.control.per_vector_mask");
    expect(await results.first().getAttribute("href")).toBe("lib-msi.html#lib-msi-control--per_vector_mask");
    await page.locator("#search").press("Enter");
    await page.waitForURL("**/lib-msi.html#lib-msi-control--per_vector_mask");
    const row = page.locator("tr#lib-msi-control--per_vector_mask");
    expect(await row.isVisible()).toBe(true);
    expect(await page.evaluate(() => document.querySelector(":target")?.id)).toBe("lib-msi-control--per_vector_mask");
    expect(await row.locator("td").nth(1).innerText()).toBe("per_vector_mask");
  });

  it("searches descriptions and register names too, and says when nothing matches", async () => {
    await go("lib-pm.html");
    const box = page.locator("#search");
    const labels = () => page.locator("#search-results a").allInnerTexts();
    await box.fill("XSA-128");
    await expect.poll(labels).toContain("msi");
    await box.fill("aer root_command");
    await expect.poll(labels).toContain("aer.root_command");
    await box.fill("no_such_field_anywhere");
    await expect.poll(() => page.locator("#search-results").innerText()).toBe("No match.");
    await box.fill("");
    expect(await page.locator("#search-results").isHidden()).toBe(true);
  });

  it("draws one visible diagram per register on every page, with one box per field", async () => {
    const rowsOf = new Map([...(set.library?.layouts ?? []), ...set.devices.flatMap((d) => d.layouts)].flatMap((l) => l.registers).map((r) => [r.anchor, r.rows.length]));
    // Each page is checked on its own: three tabs side by side, each a third of the pages.
    const check = async (tab: Page, file: string) => {
      await tab.goto(base + file, { waitUntil: "load" });
      // evaluate, not $$eval: no selector engine injected into each of the ~35 pages.
      const boxes = await tab.evaluate(() =>
        [...document.querySelectorAll("svg.cv-diagram")].map((e) => {
          const r = e.getBoundingClientRect();
          return { id: e.id, w: r.width, h: r.height, fields: e.querySelectorAll("g.cv-field").length, labels: [...e.querySelectorAll("text.cv-pol")].map((t) => t.getBoundingClientRect().width) };
        }),
      );
      expect(boxes.map((b) => b.id), file).toEqual(registersOf.get(file)!.map((a) => `diagram-${a}`));
      for (const b of boxes) {
        expect(b.w, b.id).toBeGreaterThan(100);
        expect(b.h, b.id).toBeGreaterThan(40);
        expect(b.fields, b.id).toBe(rowsOf.get(b.id.slice("diagram-".length)));
        for (const w of b.labels) expect(w, `${b.id} policy label`).toBeGreaterThan(0);
      }
      // No Markdown survives into what the reader sees.
      const stray = await tab.evaluate(() => {
        const out: string[] = [];
        const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
        for (let n = walk.nextNode(); n; n = walk.nextNode()) {
          const tag = n.parentElement?.tagName;
          if (tag !== "SCRIPT" && tag !== "STYLE" && /`|\*\*/.test(n.textContent ?? "")) out.push(n.textContent!);
        }
        return out;
      });
      expect(stray, file).toEqual([]);
    };
    const tabs = await Promise.all([0, 1, 2].map(() => newPage()));
    try {
      await Promise.all(tabs.map(async (tab, k) => {
        for (const file of pages.filter((_, i) => i % tabs.length === k)) await check(tab, file);
      }));
    } finally {
      await Promise.all(tabs.map((t) => t.close()));
    }
    expect(pages.length).toBeGreaterThan(30);
  }, 60_000);

  it("fills each field with its policy's pattern, shown in the legend", async () => {
    await go("lib-msi.html");
    const fills = await page.$$eval("#diagram-lib-msi-control g.cv-field", (gs) => gs.map((g) => [g.getAttribute("class")!.replace("cv-field cv-", ""), g.querySelector("rect")!.getAttribute("fill"), g.querySelector("text")!.textContent]));
    expect(fills).toContainEqual(["hook", "url(#cv-pat-hook)", "T"]);
    expect(fills).toContainEqual(["emulate", "url(#cv-pat-emulate)", "emulate"]);
    expect(await page.locator("pattern#cv-pat-hide").count()).toBe(1);
    await go("index.html");
    const legend = await page.$$eval("table.legend tr[data-category]", (rows) => rows.map((r) => r.getAttribute("data-category")));
    expect(legend).toEqual(["pass", "emulate", "hide", "hook", "default", "default-pass"]);
  });

  it("shows summary numbers equal to the tables' own counts", async () => {
    for (const [i, opened] of set.opened.entries()) {
      const anchor = set.devices[i].anchor;
      await go(`${anchor}.html`);
      const read = (region: string) =>
        page.$$eval(`table.summary[data-device="${anchor}"] tr[data-region="${region}"] td[data-count]`, (tds) =>
          Object.fromEntries(tds.map((td) => [td.getAttribute("data-count"), Number(td.textContent)])),
        );
      const t = opened.tables;
      const own = ownCounts(t, 0, opened.host.size);
      const total = await read("total");
      expect(total.pass).toBe(own.pass);
      expect(total.emulate + total.hide + total.hook).toBe(own.virtual);
      expect(total.explicit).toBe(own.pass + own.virtual);
      expect(total.default).toBe(own.denied);
      expect(total["default-pass"]).toBe(own.permissivePass);
      expect(total.total).toBe(opened.host.size * 8);
      expect(total.hook).toBeGreaterThan(0);
      expect(total.hook).toBeLessThanOrEqual(hookDwordBits(t, opened.host.size));
      for (const p of t.placed.filter((x) => x.visible)) {
        const row = await read(`${anchor}-${p.template.name}`);
        const c = ownCounts(t, p.offset, p.offset + p.size);
        expect(row.pass, p.template.name).toBe(c.pass);
        expect(row.emulate + row.hide + row.hook, p.template.name).toBe(c.virtual);
        expect(row.default, p.template.name).toBe(c.denied);
      }
      expect(await page.locator(`#${anchor} .warn`).count()).toBe(0);
    }
  });

  it("lists hidden capabilities, and the applied override once, on the device page", async () => {
    await go("dev1.html");
    const hidden = await page.locator("#dev1 table.hidden tbody tr").allInnerTexts();
    expect(hidden).toEqual([expect.stringMatching(/0x070\s+capability 0x11\s+msix\s+hidden by device "docs test NIC"/)]);
    const overrides = await page.locator("#dev1 table.overrides tbody tr").allInnerTexts();
    expect(overrides).toEqual([expect.stringMatching(/msi\.control\.multiple_enable\s+0x052 \[6:4\]\s+pass\s+test\/docs\/fixtures\/policy-nic\.rules:5/)]);
    expect((await page.locator("main").innerText()).split("policy-nic.rules:5")).toHaveLength(2);
    await page.locator("tr#dev1-msi-control--multiple_enable a[href='#overrides']").click();
    expect(await page.evaluate(() => document.querySelector(":target")?.id)).toBe("overrides");
  });

  it("renders the diff page", async () => {
    const d = diff(EXAMPLE_NIC, FIXTURE);
    const diffPage = await newPage();
    await diffPage.setContent(renderDiffHtml(d), { waitUntil: "load" });
    expect(Number(await diffPage.locator("#diff-count").getAttribute("data-bits"))).toBe(d.bits);
    const rows = await diffPage.$$eval("tr[data-bits]", (trs) => trs.reduce((n, tr) => n + Number(tr.getAttribute("data-bits")), 0));
    expect(rows).toBe(d.bits);
    const path = join(shots, "diff.png");
    await diffPage.screenshot({ path });
    checkPng(path, 10_000);
  });

  it("regenerates the README image", async () => {
    const path = join(shots, "readme.png");
    await renderReadmeImage(path, browser);
    const { width, height } = checkPng(path, 10_000);
    expect(width).toBeGreaterThan(600);
    expect(height).toBeGreaterThan(100);
  }, 60_000);

  it("logged no console errors, made no network request, and read only the site's own files", () => {
    expect(errors).toEqual([]);
    expect(browser.requests).toEqual([]);
    expect(browser.files.length).toBeGreaterThan(pages.length);
    for (const f of browser.files) expect(f.startsWith(base), f).toBe(true);
    expect(new Set(browser.files.map((f) => f.slice(base.length).replace(/#.*/, "")))).toContain("search.js");
  });
});
