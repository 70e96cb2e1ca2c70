// Access scripts: one guest access a line, `r OFFSET SIZE` or
// `w OFFSET SIZE VALUE`; numbers in hex (0x..) or decimal; `#` starts a comment.
import { DiagnosticList, error, SourceFile, spanOfLine } from "../diag/diagnostic.js";

export type Access =
  | { readonly kind: "r"; readonly offset: number; readonly size: number; readonly line: number }
  | { readonly kind: "w"; readonly offset: number; readonly size: number; readonly value: number; readonly line: number };

const NUMBER = /^(?:0x[0-9a-fA-F]+|[0-9]+)$/;

export function parseAccessScript(path: string, text: string): Access[] {
  const source = new SourceFile(path, text);
  const ds = new DiagnosticList();
  const out: Access[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = i + 1;
    const code = raw.replace(/#.*/, "").replace(/\r$/, "");
    if (code.trim() === "") return;
    const tokens: { text: string; col: number }[] = [];
    for (const m of code.matchAll(/\S+/g)) tokens.push({ text: m[0], col: (m.index ?? 0) + 1 });
    const at = (k: number) => spanOfLine(source, line, tokens[k]?.col ?? code.length + 1, tokens[k]?.text.length ?? 1);
    const op = tokens[0].text;
    if (op !== "r" && op !== "w") {
      ds.push(error("S001", `unknown access \`${op}\``, at(0), "a line is `r OFFSET SIZE` or `w OFFSET SIZE VALUE`"));
      return;
    }
    const want = op === "r" ? 3 : 4;
    if (tokens.length !== want) {
      ds.push(error("S002", `\`${op}\` takes ${want - 1} operands, found ${tokens.length - 1}`, at(Math.min(tokens.length, want) - 1 + (tokens.length < want ? 1 : 0)),
        op === "r" ? "write `r OFFSET SIZE`, e.g. `r 0x04 2`" : "write `w OFFSET SIZE VALUE`, e.g. `w 0x04 2 0x0006`"));
      return;
    }
    const nums: number[] = [];
    for (let k = 1; k < want; k++) {
      const t = tokens[k].text;
      if (!NUMBER.test(t)) {
        ds.push(error("S003", `\`${t}\` is not a number`, at(k), "numbers are hex with 0x, or decimal"));
        return;
      }
      nums.push(Number(t));
    }
    const [offset, size, value] = nums;
    if (offset > 0xfff) {
      ds.push(error("S004", `offset 0x${offset.toString(16)} is past the 4096-byte configuration space`, at(1)));
      return;
    }
    if (size !== 1 && size !== 2 && size !== 4) {
      ds.push(error("S005", `size ${size} is not 1, 2 or 4`, at(2)));
      return;
    }
    if (op === "w") {
      if (value >= 2 ** (size * 8)) {
        ds.push(error("S006", `value 0x${value.toString(16)} does not fit ${size} byte${size > 1 ? "s" : ""}`, at(3)));
        return;
      }
      out.push({ kind: "w", offset, size, value, line });
    } else out.push({ kind: "r", offset, size, line });
  });
  ds.throwIfAny();
  return out;
}

const hex = (v: number, size: number) => "0x" + (v >>> 0).toString(16).padStart(size * 2, "0");
const offsetHex = (o: number) => "0x" + o.toString(16).padStart(2, "0");

/** Format accesses back into a script that parses to the same accesses. */
export type ScriptAccess =
  | { readonly kind: "r"; readonly offset: number; readonly size: number }
  | { readonly kind: "w"; readonly offset: number; readonly size: number; readonly value: number };

export function formatAccessScript(accesses: readonly ScriptAccess[]): string {
  return accesses
    .map((a) => (a.kind === "r" ? `r ${offsetHex(a.offset)} ${a.size}` : `w ${offsetHex(a.offset)} ${a.size} ${hex(a.value, a.size)}`))
    .join("\n") + "\n";
}

export function formatRead(offset: number, size: number, value: number): string {
  return `r ${offsetHex(offset)} ${size} = ${hex(value, size)}`;
}
