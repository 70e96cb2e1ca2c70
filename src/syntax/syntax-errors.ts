// Syntax errors a person can act on. When a file does not parse, it is cut into
// its top-level items (a line starting at column 0 with an item keyword starts
// one) and each item is matched on its own, so one file reports every broken
// item, not just the first. Each failure is phrased from what the grammar
// expected there ("expected an attribute (RO, RW, ...)"), a misspelt keyword
// gets a "did you mean", and a `{` that is never closed is reported where it
// opens, not where the parser noticed.
import type * as ohm from "ohm-js";
import { error, type Diagnostic, type SourceFile } from "../diag/diagnostic.js";
import { closest } from "../diag/suggest.js";
import { ATTRIBUTES } from "./ast.js";

/** What the grammar can expect at one place, and how to name it. */
interface Expectation {
  /** The thing, e.g. "attribute", for "unknown attribute `RWC`". */
  readonly noun: string;
  /** The phrase after "expected", e.g. "an attribute (RO, RW, ...)". */
  readonly phrase: string;
  /** Words a misspelt identifier is compared with. */
  readonly words: readonly string[];
}

const TOP_LEVEL = ["include", "header", "capability", "extended", "device", "image", "registers"];
const LAYOUT_STMTS = ["register", "when", "spec", "rest", "repeat", "use"];
const DEVICE_STMTS = ["allow", "hide", "override", "ids", "bar", "rom", "pass", "permissive"];
const IMAGE_STMTS = ["bar", "rom", "vpd", "header", "capability", "extended"];
const POLICIES = ["pass", "emulate", "hide", "trap"];
const WIDTHS = ["u8", "u16", "u32"];

const list = (words: readonly string[]) => words.join(", ");

/** Classify the literals and descriptions Ohm expected at the failure. */
function expectation(literals: readonly string[], descriptions: readonly string[]): Expectation | undefined {
  const has = (w: string) => literals.includes(w);
  if (ATTRIBUTES.filter(has).length >= 3) return { noun: "attribute", phrase: `an attribute (${list(ATTRIBUTES)})`, words: ATTRIBUTES };
  if (has("emulate") && has("trap")) return { noun: "policy", phrase: `a policy (${list(POLICIES)})`, words: POLICIES };
  if (WIDTHS.some(has)) return { noun: "register width", phrase: `a register width (${list(WIDTHS)})`, words: WIDTHS };
  if (has("override")) return { noun: "statement", phrase: `a device statement (${list(DEVICE_STMTS)}) or \`}\``, words: DEVICE_STMTS };
  if (has("register")) return { noun: "statement", phrase: `a layout statement (${list(LAYOUT_STMTS)}) or \`}\``, words: LAYOUT_STMTS };
  if (has("vpd")) return { noun: "statement", phrase: `an image statement (${list(IMAGE_STMTS)}) or \`}\``, words: IMAGE_STMTS };
  if (has("device") || has("include") || descriptions.includes("end of input")) {
    return { noun: "item", phrase: `an item (${list(TOP_LEVEL)})`, words: TOP_LEVEL };
  }
  const keywords = literals.filter((l) => /^[A-Za-z_]\w*$/.test(l));
  if (keywords.length > 0) {
    const others = literals.filter((l) => !keywords.includes(l)).map((l) => `\`${l}\``);
    return { noun: "keyword", phrase: [...keywords.map((k) => `\`${k}\``), ...others, ...descriptions.map(describeExpected)].join(" or "), words: keywords };
  }
  return undefined;
}

/** Ohm's descriptions of lexical rules, in the language's own words. */
function describeExpected(d: string): string {
  if (d === "a digit" || d === "a hexadecimal digit") return "a number";
  if (d === "a letter") return "a name";
  if (d === "end of input") return "end of file";
  return d;
}

/** The phrase for an expectation that is not a set of keywords: "a number", "`{`", ... */
function genericPhrase(literals: readonly string[], descriptions: readonly string[]): string {
  const parts = new Set<string>();
  const numeric = descriptions.includes("a digit") || literals.includes("0x");
  if (numeric) parts.add("a number");
  if (descriptions.includes("a letter")) parts.add("a name");
  for (const l of literals) {
    if (numeric && (l === "0x" || l === "0b")) continue;
    if (l === '"') {
      parts.add("a string in double quotes");
      continue;
    }
    if (parts.has("a name") && l === "_") continue;
    parts.add(`\`${l}\``);
  }
  for (const d of descriptions) if (!d.startsWith("not ")) parts.add(describeExpected(d));
  const all = [...parts];
  return all.length <= 1 ? (all[0] ?? "something else") : `${all.slice(0, -1).join(", ")} or ${all[all.length - 1]}`;
}

const isIdentChar = (c: string | undefined) => c !== undefined && /[A-Za-z0-9_]/.test(c);

function tokenAt(text: string, pos: number): string | undefined {
  return /^[A-Za-z0-9_]+|^"[^"\n]*"?|^\S/.exec(text.slice(pos, pos + 200))?.[0];
}

function describeToken(text: string, pos: number): string {
  const t = pos < text.length ? tokenAt(text, pos) : undefined;
  return t === undefined ? "end of file" : `\`${t}\``;
}

/** A top-level item's text range, and a `{` in it that was never closed. */
interface Chunk {
  readonly start: number;
  readonly end: number;
  readonly unclosed?: number;
}

/**
 * Cut a file into its top-level items. Braces are matched with the help of
 * indentation: a `}` that starts a line closes the `{` whose line has the same
 * indentation, so a missing `}` is blamed on the block that lacks it.
 */
export function splitItems(text: string): Chunk[] {
  const chunks: Chunk[] = [];
  const lineIndent = (pos: number) => {
    const ls = text.lastIndexOf("\n", pos - 1) + 1;
    return /^[ \t]*/.exec(text.slice(ls))![0].length;
  };
  let stack: number[] = [];
  let unclosed: number | undefined;
  let start = 0;
  let last = "";
  const close = (end: number) => {
    const open = unclosed ?? stack[stack.length - 1];
    if (/\S/.test(text.slice(start, end))) chunks.push({ start, end, ...(open !== undefined ? { unclosed: open } : {}) });
    start = end;
    stack = [];
    unclosed = undefined;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    const atLineStart = i === 0 || text[i - 1] === "\n";
    if (atLineStart && /[A-Za-z_]/.test(c) && i > start) {
      const word = /^[A-Za-z_]\w*/.exec(text.slice(i, i + 40))![0];
      // An item keyword starts an item; so does any other word after a closed item (a misspelt keyword).
      // (Comments before the first item belong to it.)
      if (last !== "" && (TOP_LEVEL.includes(word) || (stack.length === 0 && last === "}"))) close(i);
    }
    if (!/\s/.test(c) && c !== "#") last = c;
    if (c === "#") {
      while (i < text.length && text[i] !== "\n") i++;
    } else if (c === '"') {
      i++;
      while (i < text.length && text[i] !== '"' && text[i] !== "\n") i++;
    } else if (c === "{") {
      stack.push(i);
    } else if (c === "}") {
      const ls = text.lastIndexOf("\n", i - 1) + 1;
      const firstOnLine = /^[ \t]*$/.test(text.slice(ls, i));
      if (firstOnLine && stack.length > 1) {
        const indent = i - ls;
        let match = stack.length - 1;
        while (match >= 0 && lineIndent(stack[match]) !== indent) match--;
        if (match >= 0 && match < stack.length - 1) {
          unclosed ??= stack[stack.length - 1];
          stack = stack.slice(0, match + 1);
        }
      }
      stack.pop();
    }
  }
  close(text.length);
  return chunks;
}

interface OhmFailure {
  readonly type: string;
  getText(): string;
}

/** The failure at the rightmost position: where, and what was expected there. */
function failureOf(match: ohm.FailedMatchResult): { pos: number; literals: string[]; descriptions: string[] } {
  const failures = (match as unknown as { getRightmostFailures(): OhmFailure[] }).getRightmostFailures();
  const literals = [...new Set(failures.filter((f) => f.type === "string").map((f) => f.getText()))];
  const descriptions = [...new Set(failures.filter((f) => f.type !== "string").map((f) => f.getText()))];
  return { pos: match.getRightmostFailurePosition(), literals, descriptions };
}

/** A chunk that parses: its match over the chunk's text, and where the chunk starts in the file. */
export interface ParsedChunk {
  readonly match: ohm.MatchResult;
  readonly start: number;
}

/**
 * One chunk's syntax error, or its match when it parses. The chunk is matched on
 * its own text (Ohm's memo table grows with the text it matches), and positions
 * are moved back into the file.
 */
function checkChunk(grammar: ohm.Grammar, source: SourceFile, chunk: Chunk): Diagnostic | ParsedChunk {
  const text = source.text.slice(chunk.start, chunk.end);
  const match = grammar.match(text);
  if (!match.failed()) return { match, start: chunk.start };
  let failure = failureOf(match);
  // Inside a word (`hidee`: the keyword `hide` matched, then the word went on):
  // blank the word and ask again, to learn what was expected where it starts.
  if (isIdentChar(text[failure.pos - 1]) && isIdentChar(text[failure.pos])) {
    let ws = failure.pos;
    while (ws > 0 && isIdentChar(text[ws - 1])) ws--;
    let we = failure.pos;
    while (isIdentChar(text[we])) we++;
    // "§" is in no token of the language (and, unlike a control character, not Ohm whitespace).
    const again = grammar.match(text.slice(0, ws) + "§" + " ".repeat(we - ws - 1) + text.slice(we));
    if (again.failed() && again.getRightmostFailurePosition() === ws) failure = failureOf(again);
  }
  const pos = chunk.start + failure.pos;
  if (chunk.unclosed !== undefined && pos >= chunk.unclosed) return unclosedError(source, chunk);
  const { literals, descriptions } = failure;
  const token = pos < source.text.length ? tokenAt(source.text, pos) : undefined;
  const span = { source, start: pos, end: pos + Math.max(1, token?.length ?? 1) };
  const what = expectation(literals, descriptions);
  if (what && token !== undefined && /^[A-Za-z_]\w*$/.test(token)) {
    const near = closest(token, what.words);
    return error("E001", `unknown ${what.noun} \`${token}\`${near ? `; did you mean \`${near}\`?` : ""}`, span, `expected ${what.phrase}`);
  }
  if (what?.noun === "item" && token === "}") return error("E001", "unexpected `}`: no block is open here", span, "delete it, or the `}` above that closes its block too early");
  const phrase = what?.phrase ?? genericPhrase(literals, descriptions);
  const help = token === "=" && literals.includes("==") ? "did you mean `==`?" : undefined;
  return error("E001", `expected ${phrase}, found ${describeToken(source.text, pos)}`, span, help);
}

function unclosedError(source: SourceFile, chunk: Chunk): Diagnostic {
  const open = chunk.unclosed!;
  const next = chunk.end < source.text.length ? `before line ${source.position(chunk.end).line}, where the next item starts` : "before the end of the file";
  return error("E004", "unclosed `{`", { source, start: open, end: open + 1 }, `this block has no matching \`}\`: close it ${next}`);
}

/**
 * Every syntax error of a file that failed to parse (`failedAt`: where the
 * whole-file match failed), and the items that parse on their own: tools such
 * as the language server still see the good items of a file being edited.
 */
export function syntaxErrors(grammar: ohm.Grammar, source: SourceFile, failedAt: number): { diagnostics: Diagnostic[]; parsed: ParsedChunk[] } {
  const diagnostics: Diagnostic[] = [];
  const parsed: ParsedChunk[] = [];
  for (const chunk of splitItems(source.text)) {
    const r = checkChunk(grammar, source, chunk);
    if ("code" in r) diagnostics.push(r);
    else parsed.push(r);
  }
  if (diagnostics.length > 0) return { diagnostics, parsed };
  // The items parse one by one but not together (should not happen): report the first failure.
  return { diagnostics: [error("E001", `unexpected ${describeToken(source.text, failedAt)}`, { source, start: failedAt, end: failedAt + 1 })], parsed: [] };
}
