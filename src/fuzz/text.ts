// Arbitraries for malformed inputs: random text, and real text mutated by a
// few edits (delete, insert a token or a random character, duplicate or drop a
// line, change a number, truncate). The parsers must answer every one with a
// positioned diagnostic or success.
import fc from "fast-check";

export type TextEdit =
  | { readonly kind: "delete"; readonly at: number; readonly length: number }
  | { readonly kind: "insert"; readonly at: number; readonly text: string }
  | { readonly kind: "dupLine"; readonly line: number }
  | { readonly kind: "dropLine"; readonly line: number }
  | { readonly kind: "number"; readonly nth: number; readonly text: string }
  | { readonly kind: "truncate"; readonly at: number };

const ODD_NUMBERS = ["0", "-1", "0x", "0xffffffffffff", "99999999999999999999", "4096", "0x1000", "1e3", "0b102", "08", "NaN", "0x7fffffff", "33", "-0"];

/** Apply edits; positions are fractions of the current text, so any edit fits any text. */
export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  let t = text;
  for (const e of edits) {
    const pos = (f: number) => Math.floor((f / 1000) * (t.length + 1));
    switch (e.kind) {
      case "delete": {
        const at = pos(e.at);
        t = t.slice(0, at) + t.slice(at + e.length);
        break;
      }
      case "insert": {
        const at = pos(e.at);
        t = t.slice(0, at) + e.text + t.slice(at);
        break;
      }
      case "dupLine":
      case "dropLine": {
        const lines = t.split("\n");
        const i = Math.floor((e.line / 1000) * lines.length);
        if (e.kind === "dupLine") lines.splice(i, 0, lines[i] ?? "");
        else lines.splice(i, 1);
        t = lines.join("\n");
        break;
      }
      case "number": {
        const matches = [...t.matchAll(/\b(?:0x[0-9a-fA-F]+|\d+)\b/g)];
        if (matches.length === 0) break;
        const m = matches[e.nth % matches.length];
        t = t.slice(0, m.index) + e.text + t.slice(m.index! + m[0].length);
        break;
      }
      case "truncate":
        t = t.slice(0, pos(e.at));
        break;
    }
  }
  return t;
}

/** Edits biased to the tokens of the language at hand. */
export function textEdits(tokens: readonly string[], maxEdits = 4): fc.Arbitrary<TextEdit[]> {
  const frac = fc.integer({ min: 0, max: 1000 });
  const insertText = fc.oneof(
    fc.constantFrom(...tokens),
    fc.constantFrom("{", "}", "[", "]", "(", ")", ":", ";", "@", "#", "\"", "\n", "\t", " ", ",", "..", "=", "*", "\u0000", "\u00e9", "\r\n", "\uFFFD"),
    fc.string({ maxLength: 8 }),
  );
  const edit: fc.Arbitrary<TextEdit> = fc.oneof(
    fc.record({ kind: fc.constant("delete" as const), at: frac, length: fc.integer({ min: 1, max: 40 }) }),
    fc.record({ kind: fc.constant("insert" as const), at: frac, text: insertText }),
    fc.record({ kind: fc.constant("dupLine" as const), line: frac }),
    fc.record({ kind: fc.constant("dropLine" as const), line: frac }),
    fc.record({ kind: fc.constant("number" as const), nth: fc.nat(), text: fc.constantFrom(...ODD_NUMBERS) }),
    fc.record({ kind: fc.constant("truncate" as const), at: frac }),
  );
  return fc.array(edit, { minLength: 1, maxLength: maxEdits });
}

export const RULE_TOKENS = [
  "header", "capability", "extended", "register", "when", "else", "rest", "spec", "hidden", "size", "from", "type", "id",
  "device", "match", "allow", "hide", "override", "ids", "bar", "rom", "pass", "permissive", "image", "vpd", "include", "reassign", "registers", "use", "repeat", "in", "stride", "pass(read)", "##",
  "emulate", "emulate(hw)", "emulate(next)", "emulate(0x5)", "hide(3)", "trap(bar)", "trap(nope)", "trap(msi_enable, 0)",
  "RO", "RW", "RW1C", "HwInit", "ROS", "RWS", "RW1CS", "RsvdP", "RsvdZ", "u8", "u16", "u32", "u64",
  "[31:0]", "[0]", "[7:8]", "[40:33]", "@ 0x02", "@ 0x1000", "-", "&&", "||", "!", "==", "!=", ">=", "<", "8086:10c9", "*:*",
  "class 0x020000/0xffff00", "16K", "1G", "control.addr64", "a.b.c", "pm", "msi", "msix", "type0",
  "register x @ 0x0 u8 { [7:0] x RO pass }", "include \"missing.rules\"", "include \"msi.rules\"",
];

export const SCRIPT_TOKENS = ["r", "w", "0x", "0x04", "4", "2", "1", "3", "0xffffffff", "0x100000000", "4096", "0x1000", "#", "x", "-1", "r 0x04 2", "w 0x04 2 0x0006"];

export const DUMP_TOKENS = ["00:", "10:", "ff0:", "1000:", "zz", "00", "ff", "0", "000", "00:00.0 Host bridge: x", "0000:00:00.0 x", "  ", "\t"];

export const JSON_TOKENS = ["{", "}", "[", "]", ",", ":", "null", "true", "-1", "1.5", "4294967296", "\"x\"", "\"pieces\"", "\"masks\"", "\"guard\"", "\"kind\"", "\"op\"", "\"nonzero\"", "\"size\"", "\"registers\""];
