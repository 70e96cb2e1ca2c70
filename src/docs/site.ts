// The docs as a small static site: index.html (the library's summary, device
// files, devices), one page per layout and per device, the same sidebar on
// every page, and search.js (index + script) beside them. Pages inline their
// CSS and SVG patterns and load only search.js, by a relative path: the site
// works from file:// with no network. Same model, same bytes.
import { type DocSet, TITLE } from "./generate.js";
import { banner, CSS, htmlDevice, htmlLayout, htmlPolicy, legend, libraryTable, svgDefs } from "./html.js";
import { esc as h } from "./diagram.js";
import { hex, type LayoutDoc, totalBits } from "./model.js";
import { layoutEntries, searchScript, type SearchEntry } from "./search.js";

/** Where the site goes under the output directory. */
export const SITE_DIR = "html";

interface NavLink {
  readonly file: string;
  readonly label: string;
  readonly detail: string;
}

interface NavGroup {
  readonly title: string;
  readonly id: string;
  readonly links: readonly NavLink[];
}

export const layoutFile = (l: LayoutDoc) => `${l.anchor}.html`;
const deviceFile = (anchor: string) => `${anchor}.html`;
const deviceFileAnchor = (name: string) => `devfile-${name.toLowerCase().replace(/[^a-z0-9_-]+/g, "-")}`;

const GROUPS: readonly { kind: string; title: string; id: string }[] = [
  { kind: "header", title: "Header types", id: "nav-headers" },
  { kind: "capability", title: "Capabilities", id: "nav-capabilities" },
  { kind: "extended", title: "Extended capabilities", id: "nav-extended" },
];

function navGroups(set: DocSet): NavGroup[] {
  const groups: NavGroup[] = [];
  const layouts = set.library?.layouts ?? [];
  for (const g of GROUPS) {
    const links = layouts.filter((l) => l.kind === g.kind).map((l) => ({ file: layoutFile(l), label: l.name, detail: l.ident.replace(/^(header type|extended capability|capability) /, "") }));
    if (links.length) groups.push({ title: g.title, id: g.id, links });
  }
  const files = set.library?.devices ?? [];
  if (files.length) groups.push({ title: "Device files", id: "nav-device-files", links: files.map((p) => ({ file: `index.html#${deviceFileAnchor(p.name)}`, label: p.name, detail: "" })) });
  if (set.devices.length) {
    groups.push({ title: "Devices", id: "nav-devices", links: set.devices.map((d) => ({ file: deviceFile(d.anchor), label: d.input.split("/").pop()!, detail: d.anchor })) });
  }
  return groups;
}

function sidebar(groups: readonly NavGroup[], current: string): string {
  const link = (file: string, inner: string, cls = "") => `<a${cls ? ` class="${cls}"` : ""} href="${file}"${file === current ? ` aria-current="page"` : ""}>${inner}</a>`;
  const parts = [
    `<nav class="sidebar" id="sidebar" aria-label="Pages">`,
    link("index.html", h(TITLE.replace(/^cfgvirt: /, "cfgvirt ")), "home"),
    `<form role="search" onsubmit="return false"><input id="search" type="search" placeholder="Search fields, registers, layouts" aria-label="Search the docs" autocomplete="off" spellcheck="false"></form>`,
    `<ol id="search-results" aria-live="polite" hidden></ol>`,
  ];
  for (const g of groups) {
    parts.push(`<h2 id="${g.id}">${h(g.title)}</h2><ul>`);
    for (const l of g.links) parts.push(`<li>${link(l.file, l.detail ? `${h(l.label)} <span class="ident">${h(l.detail)}</span>` : h(l.label))}</li>`);
    parts.push(`</ul>`);
  }
  parts.push(`</nav>`);
  return parts.join("");
}

function page(set: DocSet, groups: readonly NavGroup[], file: string, title: string, body: string): string {
  return [
    `<!DOCTYPE html>`,
    `<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">`,
    `<meta name="generator" content="cfgvirt docs"><meta name="rules-sha256" content="${set.banner.rulesHash}">`,
    `<title>${h(title === TITLE ? TITLE : `${title} · ${TITLE}`)}</title><style>${CSS}</style></head><body>`,
    svgDefs(),
    sidebar(groups, file),
    `<main id="content">`,
    body,
    `</main>`,
    `<script src="search.js"></script>`,
    `</body></html>`,
  ].join("\n") + "\n";
}

function indexBody(set: DocSet): string {
  const parts: string[] = [`<h1>${h(TITLE)}</h1>`, banner(set)];
  parts.push(`<p>What the virtualizer does to every bit of configuration space, generated from the compiled rules: one page per header type, capability and extended capability${set.devices.length ? ", and one per device" : ""}, listed in the sidebar. Search finds any layout, register or field by name or by the words of its description.</p>`);
  parts.push(legend());
  if (set.library) {
    const lib = set.library;
    parts.push(`<section id="library"><h2>Standard library</h2><p>Bits per layout as the rules describe them (registers of every variant counted once each).</p>`);
    parts.push(libraryTable(lib.layouts, lib.total, layoutFile));
    if (lib.devices.length) {
      parts.push(`<h2 id="device-files">Device files</h2>`);
      for (const p of lib.devices) parts.push(`<h3 id="${deviceFileAnchor(p.name)}">${h(p.name)}</h3>`, htmlPolicy(p, false));
    }
    parts.push(`</section>`);
  }
  if (set.devices.length) {
    parts.push(`<h2 id="devices">Devices</h2><ul class="devices">`);
    for (const d of set.devices) parts.push(`<li><a href="${deviceFile(d.anchor)}">${h(d.input)}</a>: <code>${h(d.title)}</code>, ${d.layouts.length} layouts shown, ${totalBits(d.total)} bits</li>`);
    parts.push(`</ul>`);
  }
  return parts.join("\n");
}

function layoutBody(l: LayoutDoc): string {
  return [`<p class="crumbs"><a href="index.html">${h(TITLE)}</a> › ${h(l.ident)}</p>`, htmlLayout(l, 1), `<p class="crumbs"><a href="index.html#legend">Legend</a></p>`].join("\n");
}

/** Every file of the site, path relative to the site directory, in a stable order. */
export function renderSite(set: DocSet): Map<string, string> {
  const groups = navGroups(set);
  const files = new Map<string, string>();
  const entries: SearchEntry[] = [];
  files.set("index.html", page(set, groups, "index.html", TITLE, indexBody(set)));
  for (const p of set.library?.devices ?? []) entries.push({ label: `device file "${p.name}"`, kind: "device file", href: `index.html#${deviceFileAnchor(p.name)}`, text: [...p.matches, ...p.hide, ...p.allow].join(" ") });
  for (const l of set.library?.layouts ?? []) {
    files.set(layoutFile(l), page(set, groups, layoutFile(l), `${l.name}: ${l.ident}`, layoutBody(l)));
    entries.push(...layoutEntries(l, layoutFile(l)));
  }
  for (const d of set.devices) {
    const file = deviceFile(d.anchor);
    files.set(file, page(set, groups, file, `Device ${d.input}`, htmlDevice(d)));
    entries.push({ label: `device ${d.input}`, kind: d.title, href: file, text: "" });
    for (const l of d.layouts) entries.push({ label: `${d.anchor}: ${l.name}`, kind: `${l.ident} @ ${l.placement ? hex(l.placement.offset, 3) : "?"}`, href: `${file}#${l.anchor}`, text: "" });
  }
  files.set("search.js", searchScript(entries));
  return files;
}
