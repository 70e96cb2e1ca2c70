// Bit-field diagrams of one register: inline SVG for the HTML page, a text
// grid for Markdown. Every field is drawn with its policy's colour AND a fill
// pattern AND a letter, so a diagram reads in grey print and without colour.
import { CATEGORY_INFO, type Category, type RegisterDoc } from "./model.js";

export const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** Colours from the Okabe-Ito palette (distinguishable with the common colour-vision deficiencies), as pale tints with a darker pattern. */
export const STYLE: Readonly<Record<Category, { readonly fill: string; readonly ink: string }>> = {
  pass: { fill: "#d4f0e4", ink: "#007a5a" },
  emulate: { fill: "#d6ebf8", ink: "#0072b2" },
  hide: { fill: "#e6e6e6", ink: "#555555" },
  hook: { fill: "#fbe6bf", ink: "#b36b00" },
  default: { fill: "#ffffff", ink: "#d55e00" },
  "default-pass": { fill: "#f6d3e3", ink: "#cc79a7" },
};

/** The row of bit numbers above a register of `width` bits. */
function bitNumbers(width: number): string {
  const t: string[] = [];
  for (let b = width - 1; b >= 0; b--) t.push(`<text x="${MARGIN + (width - 1 - b) * BIT_W + BIT_W / 2}" y="12" class="cv-bitno">${b}</text>`);
  return `<g id="cv-bits${width}">${t.join("")}</g>`;
}

/** Definitions shared by every diagram of a page: fill patterns (fill="url(#cv-pat-CATEGORY)") and bit-number rows. */
export function patternDefs(): string {
  const pat = (cat: Category, body: string) =>
    `<pattern id="cv-pat-${cat}" patternUnits="userSpaceOnUse" width="8" height="8"><rect width="8" height="8" fill="${STYLE[cat].fill}"/>${body}</pattern>`;
  const ink = (cat: Category) => STYLE[cat].ink;
  return [
    // pass: solid (no marks)
    pat("pass", ""),
    // emulate: diagonal lines
    pat("emulate", `<path d="M-2,2 l4,-4 M0,8 l8,-8 M6,10 l4,-4" stroke="${ink("emulate")}" stroke-width="1.2"/>`),
    // hide: cross-hatch
    pat("hide", `<path d="M0,4 h8 M4,0 v8" stroke="${ink("hide")}" stroke-width="1"/>`),
    // hook: dots
    pat("hook", `<circle cx="4" cy="4" r="1.6" fill="${ink("hook")}"/>`),
    // default deny: X marks
    pat("default", `<path d="M1,1 l6,6 M7,1 l-6,6" stroke="${ink("default")}" stroke-width="1"/>`),
    // default pass (permissive): horizontal lines
    pat("default-pass", `<path d="M0,2 h8 M0,6 h8" stroke="${ink("default-pass")}" stroke-width="1"/>`),
    `<pattern id="cv-ticks" patternUnits="userSpaceOnUse" x="${MARGIN}" y="${CELL_Y}" width="${BIT_W}" height="${CELL_H}"><path d="M0,0v6M0,${CELL_H - 6}v6" stroke="#222" stroke-width="1.6"/></pattern>`,
    bitNumbers(8),
    bitNumbers(16),
    bitNumbers(32),
  ].join("");
}

const BIT_W = 26;
const CELL_Y = 18;
const CELL_H = 30;
const CHAR_W = 6.4;
const MARGIN = 4;

/** Inline SVG of a register: bit numbers on top, one box per field, names below. */
export function registerSvg(reg: RegisterDoc): string {
  const width = reg.width;
  const x0 = MARGIN;
  const xOf = (bit: number) => x0 + (width - 1 - bit) * BIT_W; // left edge of bit's cell
  const parts: string[] = [];
  // Bit numbers: one shared row per register width (see patternDefs).
  parts.push(`<use href="#cv-bits${width}"/>`);
  let labelDepth = 14;
  const labels: string[] = [];
  for (const row of reg.rows) {
    const x = xOf(row.hi);
    const w = (row.hi - row.lo + 1) * BIT_W;
    const cat = row.category;
    const info = CATEGORY_INFO[cat];
    const tip = `${row.field} ${row.hi === row.lo ? `[${row.lo}]` : `[${row.hi}:${row.lo}]`}: ${row.attribute}, ${row.policy}`;
    parts.push(`<g class="cv-field cv-${cat}"><title>${esc(tip)}</title><rect x="${x}" y="${CELL_Y}" width="${w}" height="${CELL_H}" fill="url(#cv-pat-${cat})"/>`);
    // The policy as text (a word when it fits, else its letter), with a white halo over the pattern.
    const word = w >= info.label.length * CHAR_W + 10 ? info.label : info.letter;
    parts.push(`<text x="${x + w / 2}" y="${CELL_Y + CELL_H / 2 + 4}" class="cv-pol">${esc(word)}</text></g>`);
    // Field name below: horizontal if it fits, else turned to read downwards.
    const name = row.reserved ? "reserved" : row.field;
    const cx = x + w / 2;
    const ty = CELL_Y + CELL_H + 6;
    if (name.length * CHAR_W <= w - 4) {
      labels.push(`<text x="${cx}" y="${ty + 9}" class="cv-name">${esc(name)}</text>`);
      labelDepth = Math.max(labelDepth, 14);
    } else {
      labels.push(`<text x="${cx - 3}" y="${ty}" class="cv-name cv-turned" transform="rotate(90 ${cx - 3} ${ty})">${esc(name)}</text>`);
      labelDepth = Math.max(labelDepth, name.length * CHAR_W + 6);
    }
  }
  // Bit dividers: ticks at every bit boundary along the top and bottom edges.
  parts.push(`<rect x="${x0}" y="${CELL_Y}" width="${width * BIT_W}" height="${CELL_H}" fill="url(#cv-ticks)" class="cv-ticks"/>`);
  const totalW = width * BIT_W + 2 * MARGIN;
  const totalH = Math.ceil(CELL_Y + CELL_H + 6 + labelDepth);
  const summary = reg.rows.map((r) => `${r.field} ${r.hi === r.lo ? r.lo : `${r.hi}-${r.lo}`} ${CATEGORY_INFO[r.category].label}`).join("; ");
  return (
    `<svg class="cv-diagram" id="diagram-${reg.anchor}" role="img" aria-label="${esc(`${reg.name}: ${summary}`)}" ` +
    `xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${totalW} ${totalH}" width="${totalW}" height="${totalH}">` +
    parts.join("") +
    labels.join("") +
    `</svg>`
  );
}

/** A text grid for Markdown: bit numbers, then the policy letter of each bit; `|` separates fields. */
export function registerText(reg: RegisterDoc): string {
  const catOf: Category[] = new Array(reg.width);
  const fieldStart = new Set<number>();
  for (const r of reg.rows) {
    for (let b = r.lo; b <= r.hi; b++) catOf[b] = r.category;
    fieldStart.add(r.hi);
  }
  let bits = "bit ";
  let pol = "    ";
  for (let b = reg.width - 1; b >= 0; b--) {
    const sep = b === reg.width - 1 ? "|" : fieldStart.has(b) ? "|" : " ";
    bits += sep + String(b).padStart(2);
    pol += sep + " " + CATEGORY_INFO[catOf[b]].letter;
  }
  return `${bits}|\n${pol}|`;
}
