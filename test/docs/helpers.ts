// Shared by the docs tests: inputs, and the tables' own bit counts computed
// here, independently of src/docs, straight from the DeviceTables masks.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { DeviceTables } from "../../src/runtime/attach.js";
import { packageRoot } from "../../src/paths.js";

export const FIXTURE = join(packageRoot, "test", "docs", "fixtures", "policy-nic.rules");
export const EXAMPLE_NIC = join(packageRoot, "examples", "nic.rules");

function bitsSet(x: number): number {
  let n = 0;
  for (let v = x >>> 0; v; v >>>= 1) n += v & 1;
  return n;
}

export interface OwnCounts {
  /** Covered by a rule and read from hardware. */
  pass: number;
  /** Covered by a rule and virtual: emulate + hide + hook. */
  virtual: number;
  /** No rule covers them: denied. */
  denied: number;
  /** No rule covers them but they pass (permissive). */
  permissivePass: number;
}

/** Count bits of bytes [first, end) from the tables' masks. */
export function ownCounts(t: DeviceTables, first: number, end: number): OwnCounts {
  const c: OwnCounts = { pass: 0, virtual: 0, denied: 0, permissivePass: 0 };
  for (let byte = first; byte < end; byte++) {
    const d = byte >> 2;
    const m = (0xff << ((byte & 3) * 8)) >>> 0;
    c.pass += bitsSet(t.covered[d] & (t.hwRead[d] | t.snapshot[d]) & m);
    c.virtual += bitsSet(t.covered[d] & ~t.hwRead[d] & ~t.snapshot[d] & t.virtRead[d] & m);
    c.denied += bitsSet(t.denied[d] & m);
    c.permissivePass += bitsSet(~t.covered[d] & t.hwRead[d] & m);
  }
  return c;
}

/** Bits in dwords the tables route to a hook. */
export function hookDwordBits(t: DeviceTables, size: number): number {
  let n = 0;
  for (let d = 0; d < size >> 2; d++) if (t.hook[d] !== 0) n += 32;
  return n;
}

/** A rule file whose layout, register and fields carry `##` documentation. */
export const DOCUMENTED = join(packageRoot, "test", "docs", "fixtures", "documented.rules");

/** The search index inside a site's search.js: [label, kind, href, text] per entry. */
export function searchIndex(script: string): [string, string, string, string][] {
  const m = script.match(/var CFGVIRT_SEARCH = (\[[\s\S]*?\n\]);/);
  if (!m) throw new Error("search.js holds no CFGVIRT_SEARCH index");
  return JSON.parse(m[1]) as [string, string, string, string][];
}

/** The text between tags of an HTML page, outside <script> and <style>, entities decoded. */
export function textNodes(html: string): string[] {
  const body = html.replace(/<script[\s\S]*?<\/script>/g, "").replace(/<style[\s\S]*?<\/style>/g, "");
  return [...body.matchAll(/>([^<]+)</g)]
    .map((m) => m[1].replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&amp;/g, "&"))
    .filter((t) => t.trim() !== "");
}

/** Write a rendered site to a fresh temporary directory; returns its file:// URL prefix. */
export function writeSiteToTemp(site: ReadonlyMap<string, string>, label = "site"): string {
  const dir = mkdtempSync(join(tmpdir(), `cfgvirt-${label}-`));
  for (const [file, text] of site) writeFileSync(join(dir, file), text);
  return pathToFileURL(dir).href + "/";
}
