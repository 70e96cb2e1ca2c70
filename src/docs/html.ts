// The HTML pieces of the docs site: one layout, one device, the summaries, in
// the rule language's own words. Prose from the model (doc comments, notes)
// may carry `code` spans; `prose` turns them into <code>, so no Markdown
// reaches the page.
import { esc, patternDefs, registerSvg, STYLE } from "./diagram.js";
import {
  bannerLines,
  countCells,
  DEV_SUMMARY_HEADERS,
  type DocSet,
  gapBits,
  layoutFacts,
  LIB_SUMMARY_HEADERS,
  overridesLine,
  registerHeading,
  ROW_HEADERS,
} from "./generate.js";
import {
  bitsLabel,
  CATEGORIES,
  CATEGORY_INFO,
  type Counts,
  defaultBits,
  type DeviceDoc,
  type DevicePolicyDoc,
  type GapDoc,
  hex,
  type LayoutDoc,
  type Row,
  totalBits,
} from "./model.js";

export const CSS = `
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: #111; margin: 0; }
main { margin-left: 17rem; max-width: 1100px; padding: 1rem 1.5rem 4rem; }
nav.sidebar { position: fixed; top: 0; bottom: 0; left: 0; width: 16rem; overflow-y: auto; box-sizing: border-box; padding: .8rem .8rem 2rem; background: #f6f6f6; border-right: 1px solid #ccc; font-size: 13px; }
nav.sidebar .home { display: block; font-weight: bold; font-size: 15px; margin-bottom: .5rem; color: #111; }
nav.sidebar h2 { font-size: 11px; text-transform: uppercase; letter-spacing: .05em; color: #555; border: 0; margin: 1rem 0 .2rem; }
nav.sidebar ul { list-style: none; margin: 0; padding: 0; }
nav.sidebar li a { display: block; padding: .1rem .3rem; border-radius: 3px; color: #0645ad; text-decoration: none; font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
nav.sidebar li a:hover { background: #e4e4e4; } nav.sidebar li a[aria-current="page"] { background: #333; color: #fff; }
nav.sidebar .ident { color: #666; font-family: system-ui, sans-serif; font-size: 11px; }
nav.sidebar li a[aria-current="page"] .ident { color: #ddd; }
#search { width: 100%; box-sizing: border-box; padding: .3rem .4rem; font: inherit; border: 1px solid #999; border-radius: 3px; }
#search-results { list-style: none; margin: .3rem 0; padding: 0; border-bottom: 1px solid #ccc; }
#search-results li { padding: .15rem 0; } #search-results a { font-family: ui-monospace, "DejaVu Sans Mono", monospace; overflow-wrap: anywhere; }
#search-results .kind { display: block; color: #555; font-size: 11px; }
#search-results .none { color: #555; }
h1 { font-size: 1.7rem; } h2 { border-bottom: 2px solid #333; margin-top: 2.5rem; } h3 { margin-top: 2rem; border-bottom: 1px solid #bbb; }
p.description { font-size: 15px; max-width: 50rem; }
ul.toc { columns: 3 12rem; padding-left: 1.2rem; font-family: ui-monospace, "DejaVu Sans Mono", monospace; } ul.toc .off { color: #666; font-size: .85em; }
tr:target td, section:target > h2 { background: #fff6c8; }
@media (max-width: 800px) { nav.sidebar { position: static; width: auto; border-right: 0; } main { margin-left: 0; } } h4 { margin: 1.6rem 0 .4rem; font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
code, .mono { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, monospace; font-size: .92em; }
.banner { background: #f4f4f4; border-left: 4px solid #555; padding: .5rem 1rem; }
.banner p { margin: .25rem 0; overflow-wrap: anywhere; }
table { border-collapse: collapse; margin: .5rem 0 1rem; }
th, td { border: 1px solid #aaa; padding: .2rem .5rem; text-align: left; vertical-align: top; }
th { background: #eee; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.total td { font-weight: bold; border-top: 2px solid #333; }
tr.uncovered td { font-style: italic; }
.cat { display: inline-block; padding: 0 .35rem; border: 1px solid #333; border-radius: 3px; white-space: nowrap; }
${CATEGORIES.map((c) => `.cat-${c} { background: ${STYLE[c].fill}; border-color: ${STYLE[c].ink}; }`).join("\n")}
table.fields td:nth-child(1), table.fields td:nth-child(2), table.fields td:nth-child(5) { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, monospace; font-size: .92em; }
.swatch { vertical-align: middle; }
.diagram-wrap { overflow-x: auto; margin: .3rem 0; }
svg.cv-diagram { display: block; max-width: 100%; height: auto; }
.cv-bitno { font: 10px ui-monospace, "DejaVu Sans Mono", monospace; text-anchor: middle; fill: #333; }
.cv-field rect { stroke: #222; stroke-width: 1.2; } .cv-field path { stroke: #222; stroke-width: .8; fill: none; }
.cv-pol { font: bold 11px ui-monospace, "DejaVu Sans Mono", monospace; text-anchor: middle; fill: #000; paint-order: stroke; stroke: #fff; stroke-width: 3.5px; stroke-linejoin: round; }
.cv-name { font: 10.5px ui-monospace, "DejaVu Sans Mono", monospace; text-anchor: middle; fill: #111; }
.cv-name.cv-turned { text-anchor: start; }
.facts { margin: .3rem 0; } .facts dt { font-weight: bold; float: left; clear: left; width: 10rem; } .facts dd { margin-left: 10.5rem; }
.warn { border: 2px solid #d55e00; padding: .5rem 1rem; }
section.register, section.layout > header { break-inside: avoid; }
@media print {
  body { font-size: 11px; } nav.sidebar { display: none; } main { margin: 0; max-width: none; padding: 0; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  h2 { break-before: page; }
  a { color: inherit; text-decoration: none; }
}
`;

const h = esc;

/** Text that may hold `code` spans, as HTML: escaped, with each span a <code>. */
export function prose(s: string): string {
  return s.split("`").map((part, i) => (i % 2 ? `<code>${h(part)}</code>` : h(part))).join("");
}

/** A doc comment as paragraphs (a blank line separates them). */
function paragraphs(s: string, cls: string): string {
  return s.split(/\n\s*\n/).map((p) => `<p class="${cls}">${prose(p.replace(/\s*\n\s*/g, " ").trim())}</p>`).join("");
}

function swatch(cat: (typeof CATEGORIES)[number]): string {
  return `<svg class="swatch" width="28" height="16" viewBox="0 0 28 16" aria-hidden="true"><rect x="0.5" y="0.5" width="27" height="15" fill="url(#cv-pat-${cat})" stroke="#222"/></svg>`;
}

function catBadge(r: { category: (typeof CATEGORIES)[number]; policy: string }): string {
  return `<span class="cat cat-${r.category}">${h(r.policy)}</span>`;
}

function htmlTable(cls: string, headers: readonly string[], rows: readonly string[], attrs = ""): string {
  return `<table class="${cls}"${attrs}><thead><tr>${headers.map((x) => `<th>${h(x)}</th>`).join("")}</tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

/** The id of a field's row: the register's anchor and the field name. */
export function rowId(registerAnchor: string, r: Row): string | undefined {
  return r.reserved ? undefined : `${registerAnchor}--${r.field}`;
}

function htmlRow(registerAnchor: string, r: Row): string {
  const id = rowId(registerAnchor, r);
  // The override itself is listed once, in the device's overrides table; the row points there.
  const notes = [...(r.overriddenBy ? [`<a href="#overrides">overridden by the device file</a>`] : []), ...r.notes.map((n, i) => (i === 0 && n === r.doc ? `<span class="doc">${prose(n)}</span>` : prose(n)))];
  return `<tr${id ? ` id="${h(id)}"` : ""}${r.overriddenBy ? ` class="overridden"` : ""}><td>${bitsLabel(r.hi, r.lo)}</td><td>${h(r.field)}</td><td>${h(r.attribute)}</td><td>${catBadge(r)}</td><td>${h(r.initial)}</td><td>${notes.join("; ")}</td></tr>`;
}

function htmlGap(g: GapDoc): string {
  return `<tr class="uncovered"><td>${h(gapBits(g))}</td><td>(uncovered)</td><td>${h(g.attribute)}</td><td>${catBadge(g)}</td><td>${h(g.initial)}</td><td>${g.notes.map(prose).join("; ")}</td></tr>`;
}

function countTds(c: Counts, extra: number[]): string {
  const names = ["pass", "emulate", "hide", "hook", "explicit"];
  return [...countCells(c).map((n, i) => `<td class="num" data-count="${names[i]}">${n}</td>`), ...extra.map((n) => `<td class="num">${n}</td>`)].join("");
}

export function legend(): string {
  return [
    `<h2 id="legend">Legend</h2><p>Each bit's policy is shown by colour, by fill pattern and by a letter or word in the diagrams, and by name in the tables.</p>`,
    htmlTable("legend", ["Pattern", "Letter", "Policy", "Meaning"],
      CATEGORIES.map((c) => `<tr data-category="${c}"><td>${swatch(c)}</td><td class="mono">${CATEGORY_INFO[c].letter}</td><td>${h(CATEGORY_INFO[c].label)}</td><td>${h(CATEGORY_INFO[c].description)}</td></tr>`)),
  ].join("\n");
}

export function banner(set: DocSet): string {
  return `<div class="banner" id="generated-from">${bannerLines(set.banner).map((l) => `<p>${prose(l)}</p>`).join("")}</div>`;
}

/** Shared by every page: the diagrams' fill patterns and bit-number rows. */
export function svgDefs(): string {
  return `<svg width="0" height="0" style="position:absolute" aria-hidden="true" focusable="false"><defs>${patternDefs()}</defs></svg>`;
}

/**
 * One layout: heading, doc comment, facts, a list of its registers, then per
 * register its doc comment, diagram and field table. `level` is the layout
 * heading's level (1 on its own page, 3 inside a device page).
 */
export function htmlLayout(l: LayoutDoc, level: number): string {
  const parts: string[] = [];
  parts.push(`<section class="layout" id="${l.anchor}" data-layout="${h(l.name)}"><header><h${level}>${h(l.name)}: ${h(l.ident)}</h${level}>`);
  if (l.description) parts.push(paragraphs(l.description, "description"));
  parts.push(`<dl class="facts">${layoutFacts(l).map(([k, v]) => `<dt>${h(k)}</dt><dd>${prose(v)}</dd>`).join("")}</dl>`);
  for (const n of l.notes) parts.push(`<p><em>${prose(n)}</em></p>`);
  if (l.registers.length > 1) parts.push(`<ul class="toc">${l.registers.map((r) => `<li><a href="#${r.anchor}">${h(r.name)}</a> <span class="off">+${hex(r.offset)}</span></li>`).join("")}</ul>`);
  parts.push(`</header>`);
  for (const reg of l.registers) {
    parts.push(`<section class="register" id="${reg.anchor}" data-register="${h(reg.name)}">`);
    parts.push(`<h${level + 1}>${h(registerHeading(reg))}</h${level + 1}>`);
    if (reg.description) parts.push(paragraphs(reg.description, "description"));
    parts.push(`<p>Rules: <code>${h(reg.source)}</code>${reg.spec ? `. Spec: ${prose(reg.spec)}` : ""}${reg.guard ? `. Present when <code>${h(reg.guard)}</code>` : ""}.</p>`);
    parts.push(`<div class="diagram-wrap">${registerSvg(reg)}</div>`);
    parts.push(htmlTable("fields", ROW_HEADERS, reg.rows.map((r) => htmlRow(reg.anchor, r))));
    parts.push(`</section>`);
  }
  if (l.gaps.length) {
    parts.push(`<section class="register gaps"><h${level + 1}>Bytes of ${h(l.name)} no register describes</h${level + 1}>`);
    parts.push(htmlTable("fields", ROW_HEADERS, l.gaps.map(htmlGap)));
    parts.push(`</section>`);
  }
  parts.push(`</section>`);
  return parts.join("\n");
}

/** A device file's policy; on a device page its overrides are listed once, in the overrides table. */
export function htmlPolicy(p: DevicePolicyDoc, onDevice: boolean): string {
  const list = (xs: readonly string[]) => (xs.length ? h(xs.join(", ")) : "none");
  const items = [
    `Device file: ${p.name === "default" ? "none matches; the built-in default policy applies" : `"${h(p.name)}" (<code>${h(p.source)}</code>)`}`,
    ...(p.matches.length ? [`Matches: ${h(p.matches.join(", "))}`] : []),
    `Allowed (shown although hidden by default): ${list(p.allow)}`,
    `Hidden by the device file: ${list(p.hide)}`,
    `Overrides: ${onDevice && p.overrides.length ? `<a href="#overrides">${h(overridesLine(p, true))}</a>` : h(overridesLine(p, false))}`,
    ...(p.bars.length ? [`BAR sizes: ${h(p.bars.join(", "))}`] : []),
    ...(p.passBytes.length ? [`Passed bytes: ${h(p.passBytes.join(", "))}`] : []),
    `Permissive: ${p.permissive ? "yes: bytes no rule covers pass to the hardware" : "no"}`,
  ];
  return `<ul class="policy">${items.map((i) => `<li>${i}</li>`).join("")}</ul>`;
}

export function libraryTable(layouts: readonly LayoutDoc[], total: Counts, href: (l: LayoutDoc) => string): string {
  const rows = layouts.map(
    (l) => `<tr data-layout="${h(l.name)}"><td><a href="${href(l)}">${h(l.name)}</a></td><td>${h(l.ident)}</td>${countTds(l.counts, [defaultBits(l.counts), l.conditionalBits])}</tr>`,
  );
  rows.push(`<tr class="total" data-layout="total"><td>Total</td><td></td>${countTds(total, [defaultBits(total), layouts.reduce((a, l) => a + l.conditionalBits, 0)])}</tr>`);
  const [first, ...rest] = LIB_SUMMARY_HEADERS;
  return htmlTable("summary", [first, "Kind", ...rest], rows, ` data-device="library"`);
}

/** A device's page body: policy, summary, hidden capabilities, overrides (the one listing), then its layouts. */
export function htmlDevice(d: DeviceDoc): string {
  const parts: string[] = [];
  parts.push(`<section class="device" id="${d.anchor}" data-input="${h(d.input)}"><h1>Device ${h(d.input)}</h1>`);
  parts.push(`<p><code>${h(d.title)}</code>, ${d.configSize} bytes of configuration space.</p>`);
  parts.push(htmlPolicy(d.policy, true));
  parts.push(`<h2>Coverage summary</h2><p>Counted from the attached tables: pass = covered and read from hardware; emulate, hide and hook = covered and virtual (the rules tell which); default = no rule covers the bit.</p>`);
  const rows = d.summary.map(
    (r) =>
      `<tr data-region="${h(r.anchor ?? "outside")}"><td>${r.anchor ? `<a href="#${r.anchor}">${h(r.label)}</a>` : h(r.label)}</td>${countTds(r.counts, [])}<td class="num" data-count="default">${r.counts.default}</td><td class="num" data-count="default-pass">${r.counts.defaultPass}</td><td class="num" data-count="total">${totalBits(r.counts)}</td></tr>`,
  );
  rows.push(
    `<tr class="total" data-region="total"><td>Device total</td>${countTds(d.total, [])}<td class="num" data-count="default">${d.total.default}</td><td class="num" data-count="default-pass">${d.total.defaultPass}</td><td class="num" data-count="total">${totalBits(d.total)}</td></tr>`,
  );
  parts.push(htmlTable("summary", DEV_SUMMARY_HEADERS, rows, ` data-device="${h(d.anchor)}"`));
  if (d.mismatches.length) parts.push(`<div class="warn"><strong>Tables and rules disagree:</strong><ul>${d.mismatches.map((m) => `<li>${h(m)}</li>`).join("")}</ul></div>`);
  parts.push(`<h2>Hidden host capabilities</h2>`);
  parts.push(
    d.hidden.length
      ? htmlTable("hidden", ["Offset", "Capability", "Layout", "Why"], d.hidden.map((x) => `<tr><td class="mono">${hex(x.offset, 3)}</td><td>${h(x.ident)}</td><td>${h(x.name)}</td><td>${prose(x.reason)}</td></tr>`))
      : `<p>None: every capability of the host is shown.</p>`,
  );
  parts.push(`<h2 id="overrides">Overrides applied</h2>`);
  parts.push(
    d.overrides.length
      ? htmlTable("overrides", ["Field", "Bits", "Policy", "Override"], d.overrides.map((o) => `<tr><td class="mono">${h(o.target)}</td><td class="mono">${h(o.bits)}</td><td>${h(o.policy)}</td><td><code>${h(o.by)}</code></td></tr>`))
      : `<p>None.</p>`,
  );
  if (d.other.length) parts.push(`<h2>Other covered bytes</h2>`, htmlTable("fields", ROW_HEADERS, d.other.map(htmlGap)));
  if (d.bars.length) parts.push(`<h2>BARs</h2><ul>${d.bars.map((b) => `<li>${h(b)}</li>`).join("")}</ul>`);
  if (d.notes.length) parts.push(`<h2>Attach notes</h2><ul>${d.notes.map((n) => `<li>${prose(n)}</li>`).join("")}</ul>`);
  for (const l of d.layouts) parts.push(htmlLayout(l, 2));
  parts.push(`</section>`);
  return parts.join("\n");
}
