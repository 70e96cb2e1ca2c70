// The VS Code extension's TextMate grammar, run through the same tokenizer VS
// Code uses (vscode-textmate + vscode-oniguruma): every rule file in rules/ and
// examples/ is tokenized, and keywords, attributes, policies, numbers, comments
// and strings must get their scopes, with no character left unscoped.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import oniguruma from "vscode-oniguruma";
import vsctm from "vscode-textmate";
import { beforeAll, describe, expect, it } from "vitest";
import { ATTRIBUTES } from "../../src/syntax/ast.js";

const require = createRequire(import.meta.url);
const GRAMMAR = "editors/vscode/syntaxes/cfgvirt.tmLanguage.json";

interface Token {
  readonly text: string;
  readonly start: number;
  readonly scopes: readonly string[];
}

let grammar: vsctm.IGrammar;

beforeAll(async () => {
  const wasm = readFileSync(require.resolve("vscode-oniguruma/release/onig.wasm"));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns: string[]) => new oniguruma.OnigScanner(patterns),
      createOnigString: (s: string) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async (scope: string) => (scope === "source.cfgvirt" ? vsctm.parseRawGrammar(readFileSync(GRAMMAR, "utf8"), GRAMMAR) : null),
  });
  grammar = (await registry.loadGrammar("source.cfgvirt"))!;
});

function tokenize(text: string): Token[][] {
  let stack = vsctm.INITIAL;
  return text.split("\n").map((line) => {
    const r = grammar.tokenizeLine(line, stack);
    stack = r.ruleStack;
    return r.tokens.map((t) => ({ text: line.slice(t.startIndex, t.endIndex), start: t.startIndex, scopes: t.scopes }));
  });
}

function ruleFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? ruleFiles(p) : p.endsWith(".rules") ? [p] : [];
  });
}

const has = (t: Token, scope: string) => t.scopes.some((s) => s.startsWith(scope));
const ATTR = new Set<string>(ATTRIBUTES);
const STATEMENT_WORDS = new Set(["include", "header", "capability", "extended", "device", "image", "register", "when", "spec", "rest", "allow", "override", "ids", "bar", "rom", "permissive", "vpd", "registers", "use", "repeat"]);

/** Where comments and strings are, by a scan independent of the grammar. */
function commentAndStrings(line: string): { comment: number; strings: [number, number][] } {
  const strings: [number, number][] = [];
  for (let i = 0; i < line.length; i++) {
    if (line[i] === "#") return { comment: i, strings };
    if (line[i] === '"') {
      const end = line.indexOf('"', i + 1);
      strings.push([i, end]);
      i = end;
    }
  }
  return { comment: -1, strings };
}

const files = [...ruleFiles("rules"), ...ruleFiles("examples")];

describe("TextMate grammar", () => {
  it("finds the rule files", () => {
    expect(files.length).toBeGreaterThan(30);
  });

  for (const file of files) {
    it(`${file}: every token gets its scope`, () => {
      const text = readFileSync(file, "utf8");
      const lines = text.split("\n");
      const counts = { keyword: 0, attribute: 0, policy: 0, number: 0, comment: 0, string: 0 };
      tokenize(text).forEach((tokens, n) => {
        const line = lines[n];
        const where = `${file}:${n + 1}`;
        const { comment, strings } = commentAndStrings(line);
        // No character left without a scope of its own, and nothing marked invalid.
        for (const t of tokens) {
          if (t.text.trim() === "") continue;
          expect(t.scopes.length, `${where}: '${t.text}' has no scope`).toBeGreaterThan(1);
          expect(has(t, "invalid"), `${where}: '${t.text}' is invalid`).toBe(false);
        }
        const code = tokens.filter((t) => t.text.trim() !== "" && (comment < 0 || t.start < comment) && !strings.some(([a, b]) => t.start >= a && t.start <= b));
        for (const t of tokens) {
          if (comment >= 0 && t.start >= comment) {
            expect(has(t, "comment.line.number-sign"), `${where}: '${t.text}' in a comment`).toBe(true);
            counts.comment++;
          } else if (strings.some(([a, b]) => t.start >= a && t.start <= b)) {
            expect(has(t, "string.quoted.double"), `${where}: '${t.text}' in a string`).toBe(true);
            counts.string++;
          }
        }
        code.forEach((t, i) => {
          const word = t.text.trim();
          const prev = code[i - 1]?.text.trim();
          if (ATTR.has(word)) {
            expect(has(t, "storage.modifier.attribute"), `${where}: attribute '${word}'`).toBe(true);
            counts.attribute++;
          } else if (word === "emulate" || word === "trap" || ((word === "pass" || word === "hide") && (ATTR.has(prev ?? "") || code[i - 2]?.text.trim() === "override"))) {
            expect(has(t, "support.function.policy"), `${where}: policy '${word}'`).toBe(true);
            counts.policy++;
          } else if (/^(0x[0-9A-Fa-f]+|0b[01]+|\d+)[KMG]?$/.test(word) || /^([0-9A-Fa-f]{4}|\*):([0-9A-Fa-f]{4}|\*)$/.test(word)) {
            expect(has(t, "constant.numeric"), `${where}: number '${word}'`).toBe(true);
            counts.number++;
          } else if (i === 0 && (STATEMENT_WORDS.has(word) || word === "pass" || word === "hide") && !/^\s*[=.]/.test(line.slice(t.start + t.text.length))) {
            expect(has(t, "keyword.other"), `${where}: keyword '${word}'`).toBe(true);
            counts.keyword++;
          } else if (word === "else" || word === "match" || word === "stride") {
            expect(has(t, "keyword.other"), `${where}: keyword '${word}'`).toBe(true);
          }
        });
      });
      expect(counts.keyword).toBeGreaterThan(0);
      expect(counts.comment).toBeGreaterThan(0);
      expect(counts.number).toBeGreaterThan(0);
    });
  }

  it("a field line: bits, name, attribute, policy, hook, init value", () => {
    const [tokens] = tokenize("    [3:1] enable RW1C trap(msi_enable, 0x3) # why");
    const scopeOf = (text: string) => tokens.find((t) => t.text === text)?.scopes.at(-1);
    expect(scopeOf("3")).toBe("constant.numeric.decimal.cfgvirt");
    expect(scopeOf("enable")).toBe("variable.other.field.cfgvirt");
    expect(scopeOf("RW1C")).toBe("storage.modifier.attribute.cfgvirt");
    expect(scopeOf("trap")).toBe("support.function.policy.cfgvirt");
    expect(scopeOf("msi_enable")).toBe("entity.name.function.hook.cfgvirt");
    expect(scopeOf("0x3")).toBe("constant.numeric.hex.cfgvirt");
    expect(scopeOf(" why")).toBe("comment.line.number-sign.cfgvirt");
  });

  it("device statements: hide as a keyword, hide and pass as policies, IDs as numbers", () => {
    const lines = tokenize('device "nic" match 8086:10c9, class 0x020000/0xffff00 {\n  hide sriov\n  override msi.control.enable hide\n  pass 0x40..0x4f RW\n}');
    const scope = (n: number, text: string) => lines[n].find((t) => t.text === text)?.scopes.at(-1);
    expect(scope(0, "device")).toBe("keyword.other.cfgvirt");
    expect(scope(0, "nic")).toBe("string.quoted.double.cfgvirt");
    expect(scope(0, "8086")).toBe("constant.numeric.id.cfgvirt");
    expect(scope(0, "10c9")).toBe("constant.numeric.id.cfgvirt");
    expect(scope(1, "hide")).toBe("keyword.other.cfgvirt");
    expect(scope(2, "hide")).toBe("support.function.policy.cfgvirt");
    expect(scope(2, "msi.control.enable")).toBe("variable.other.path.cfgvirt");
    expect(scope(3, "pass")).toBe("keyword.other.cfgvirt");
    expect(scope(3, "..")).toBe("keyword.operator.cfgvirt");
    expect(scope(3, "RW")).toBe("storage.modifier.attribute.cfgvirt");
  });

  it("the extension's package.json contributes the language, grammar and snippets that exist", () => {
    const pkg = JSON.parse(readFileSync("editors/vscode/package.json", "utf8")) as {
      contributes: { languages: { id: string; extensions: string[]; configuration: string }[]; grammars: { path: string; scopeName: string }[]; snippets: { path: string }[] };
    };
    expect(pkg.contributes.languages[0]).toMatchObject({ id: "cfgvirt", extensions: [".rules"] });
    const config = JSON.parse(readFileSync(join("editors/vscode", pkg.contributes.languages[0].configuration), "utf8")) as { comments: { lineComment: string } };
    expect(config.comments.lineComment).toBe("#");
    expect(pkg.contributes.grammars[0].scopeName).toBe("source.cfgvirt");
    expect(statSync(join("editors/vscode", pkg.contributes.grammars[0].path)).isFile()).toBe(true);
    const snippets = JSON.parse(readFileSync(join("editors/vscode", pkg.contributes.snippets[0].path), "utf8")) as Record<string, unknown>;
    expect(Object.keys(snippets)).toContain("Capability layout");
  });
});
