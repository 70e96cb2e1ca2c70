// Issue 5 acceptance: the HTML renders in headless Chromium (Debian's, driven by
// playwright-core) with no console errors and no network; a screenshot is a
// real PNG; every register diagram is present and visible; the summary numbers
// on the rendered page equal the attached tables' own counts.
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildDocs, renderHtml } from "../../src/docs/generate.js";
import { diff, renderDiffHtml } from "../../src/docs/diff.js";
import { type Browser, haveChromium, inCI, launch, requireChromium } from "./chromium.js";
import { EXAMPLE_NIC, FIXTURE, hookDwordBits, ownCounts } from "./helpers.js";
import { renderReadmeImage } from "./readme-image.js";

requireChromium();
if (!haveChromium && !inCI) console.warn("skipping the Chromium docs tests: /usr/bin/chromium is missing (apt-get install -y chromium)");

const shots = mkdtempSync(join(tmpdir(), "cfgvirt-shots-"));

/** A PNG file: signature, IHDR size, and more than a blank page's bytes. */
function checkPng(path: string, minBytes: number): { width: number; height: number } {
  const data = readFileSync(path);
  expect(data.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
  expect(statSync(path).size).toBeGreaterThan(minBytes);
  return { width: data.readUInt32BE(16), height: data.readUInt32BE(20) };
}

describe.skipIf(!haveChromium)("HTML in headless Chromium", () => {
  let browser: Browser & { requests: string[] };
  const errors: string[] = [];
  const set = buildDocs({ devices: [FIXTURE, EXAMPLE_NIC], library: true });
  const html = renderHtml(set);

  async function open(content: string): Promise<Page> {
    const page = await browser.context.newPage();
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") errors.push(`${m.type()}: ${m.text()}`);
    });
    page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
    await page.setContent(content, { waitUntil: "load" });
    return page;
  }

  let page: Page;
  beforeAll(async () => {
    browser = await launch();
    page = await open(html);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });

  it("takes a screenshot that is a non-trivial PNG", async () => {
    const path = join(shots, "docs.png");
    await page.screenshot({ path, fullPage: false });
    const { width, height } = checkPng(path, 20_000);
    expect([width, height]).toEqual([1200, 900]);
    const diagramShot = join(shots, "msi-control.png");
    await page.locator("#diagram-lib-msi-control").screenshot({ path: diagramShot });
    checkPng(diagramShot, 3_000);
  });

  it("draws one visible diagram per register, with one box per field", async () => {
    const registers = [...(set.library?.layouts ?? []), ...set.devices.flatMap((d) => d.layouts)].flatMap((l) => l.registers);
    const boxes = await page.$$eval("svg.cv-diagram", (els) =>
      els.map((e) => {
        const r = e.getBoundingClientRect();
        return { id: e.id, w: r.width, h: r.height, fields: e.querySelectorAll("g.cv-field").length, labels: [...e.querySelectorAll("text.cv-pol")].map((t) => t.getBoundingClientRect().width) };
      }),
    );
    expect(boxes.map((b) => b.id)).toEqual(registers.map((r) => `diagram-${r.anchor}`));
    for (const [i, b] of boxes.entries()) {
      expect(b.w, b.id).toBeGreaterThan(100);
      expect(b.h, b.id).toBeGreaterThan(40);
      expect(b.fields, b.id).toBe(registers[i].rows.length);
      for (const w of b.labels) expect(w, `${b.id} policy label`).toBeGreaterThan(0);
    }
  });

  it("fills each field with its policy's pattern, shown in the legend", async () => {
    const fills = await page.$$eval("#diagram-lib-msi-control g.cv-field", (gs) => gs.map((g) => [g.getAttribute("class")!.replace("cv-field cv-", ""), g.querySelector("rect")!.getAttribute("fill"), g.querySelector("text")!.textContent]));
    expect(fills).toContainEqual(["hook", "url(#cv-pat-hook)", "T"]);
    expect(fills).toContainEqual(["emulate", "url(#cv-pat-emulate)", "emulate"]);
    expect(await page.locator("pattern#cv-pat-hide").count()).toBe(1);
    const legend = await page.$$eval("table.legend tr[data-category]", (rows) => rows.map((r) => r.getAttribute("data-category")));
    expect(legend).toEqual(["pass", "emulate", "hide", "hook", "default", "default-pass"]);
  });

  it("shows summary numbers equal to the tables' own counts", async () => {
    for (const [i, opened] of set.opened.entries()) {
      const anchor = set.devices[i].anchor;
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

  it("lists hidden capabilities and applied overrides on the page", async () => {
    const hidden = await page.locator("#dev1 table.hidden tbody tr").allInnerTexts();
    expect(hidden).toEqual([expect.stringMatching(/0x070\s+capability 0x11\s+msix\s+hidden by device "docs test NIC"/)]);
    const overrides = await page.locator("#dev1 table.overrides tbody tr").allInnerTexts();
    expect(overrides).toEqual([expect.stringMatching(/msi\.control\.multiple_enable\s+0x052 \[6:4\]\s+pass\s+test\/docs\/fixtures\/policy-nic\.rules:5/)]);
  });

  it("renders the diff page", async () => {
    const d = diff(EXAMPLE_NIC, FIXTURE);
    const diffPage = await open(renderDiffHtml(d));
    expect(Number(await diffPage.locator("#diff-count").getAttribute("data-bits"))).toBe(d.bits);
    const rows = await diffPage.$$eval("tr[data-bits]", (trs) => trs.reduce((n, tr) => n + Number(tr.getAttribute("data-bits")), 0));
    expect(rows).toBe(d.bits);
    const path = join(shots, "diff.png");
    await diffPage.screenshot({ path });
    checkPng(path, 10_000);
  });

  it("regenerates the README image", async () => {
    const path = join(shots, "readme.png");
    await renderReadmeImage(path);
    const { width, height } = checkPng(path, 10_000);
    expect(width).toBeGreaterThan(600);
    expect(height).toBeGreaterThan(100);
  }, 60_000);

  it("logged no console errors and made no network request", () => {
    expect(errors).toEqual([]);
    expect(browser.requests).toEqual([]);
  });
});
