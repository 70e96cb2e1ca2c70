// Parser fuzzing: random and mutated rule files, dumps, access scripts and
// compiled JSON never produce anything but success or a CfgvirtError whose
// every diagnostic carries a position.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileRules, compileRuleText, rulesFilesIn } from "../../src/compile/pipeline.js";
import { loadTemplatesJson, templatesToJson } from "../../src/compile/schema.js";
import { CfgvirtError, formatDiagnostic } from "../../src/diag/diagnostic.js";
import { applyEdits, DUMP_TOKENS, JSON_TOKENS, RULE_TOKENS, SCRIPT_TOKENS, textEdits } from "../../src/fuzz/text.js";
import { parseBinaryConfig, parseLspciDump } from "../../src/host/dump.js";
import { buildImage } from "../../src/compile/image.js";
import { examplesDir, rulesDir } from "../../src/paths.js";
import { parseAccessScript } from "../../src/runtime/script.js";
import { sharedDumps } from "../helpers/devices.js";

const SEED = 0xc0ffee;

/** Success, or a CfgvirtError whose every diagnostic has a span; anything else fails. */
function positioned(what: string, f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof CfgvirtError)) throw new Error(`${what}: threw ${(e as Error)?.stack ?? e}`);
    expect(e.diagnostics.length, what).toBeGreaterThan(0);
    for (const d of e.diagnostics) {
      if (!d.span) throw new Error(`${what}: diagnostic without a position: ${formatDiagnostic(d)}`);
      const text = formatDiagnostic(d);
      expect(text).toMatch(/^[^\n]+:\d+:\d+: error\[[A-Z]\d{3}\]: /);
      expect(text).not.toMatch(/Line \d+, col \d+/); // never a raw Ohm message
    }
  }
}

const ruleFiles = [...rulesFilesIn(rulesDir), ...readdirSync(examplesDir).filter((f) => f.endsWith(".rules")).map((f) => join(examplesDir, f))];
const ruleTexts = ruleFiles.map((p) => [p, readFileSync(p, "utf8")] as const);

describe("rule files", () => {
  it("has rule files to mutate", () => expect(ruleTexts.length).toBeGreaterThanOrEqual(4));

  it("mutated standard and example rule files compile, or fail with positioned diagnostics", () => {
    fc.assert(
      fc.property(fc.constantFrom(...ruleTexts), textEdits(RULE_TOKENS), fc.boolean(), ([path, text], edits, standard) => {
        const mutated = applyEdits(text, edits);
        const name = `fuzz/${path.split("/").slice(-2).join("_")}`;
        positioned(name, () => {
          // A standard-library file compiled alongside the standard library would clash with itself.
          const isStd = path.startsWith(rulesDir);
          const compiled = compileRuleText(name, mutated, { standard: standard && !isStd });
          for (const image of compiled.ruleSet.images) buildImage(image, compiled);
        });
      }),
      { seed: SEED, numRuns: 250 },
    );
  }, 60_000);

  it("random text fails with positioned diagnostics", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.array(fc.constantFrom(...RULE_TOKENS, " ", "\n", "{", "}"), { maxLength: 60 }).map((t) => t.join(" "))), (text) => {
        positioned("random.rules", () => compileRuleText("random.rules", text, { standard: false }));
      }),
      { seed: SEED + 1, numRuns: 300 },
    );
  });

  it("the unmutated library compiles (so the mutations start from valid text)", () => {
    expect(() => compileRules()).not.toThrow();
  });
});

describe("dumps", () => {
  const dumps = sharedDumps().map((p) => readFileSync(p, "utf8"));
  const texts = dumps.length > 0 ? dumps : ["00:00.0 Example\n" + Array.from({ length: 4 }, (_, r) => `${(r * 16).toString(16).padStart(2, "0")}: ${Array(16).fill("00").join(" ")}`).join("\n") + "\n"];

  it("mutated lspci dumps parse, or fail with a line-numbered diagnostic", () => {
    fc.assert(
      fc.property(fc.constantFrom(...texts), textEdits(DUMP_TOKENS), (text, edits) => {
        positioned("dump", () => parseLspciDump("fuzz.lspci", applyEdits(text, edits)));
      }),
      { seed: SEED + 2, numRuns: 400 },
    );
  });

  it("random text fails with a positioned diagnostic", () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), (text) => positioned("dump", () => parseLspciDump("random.lspci", text))), { seed: SEED + 3, numRuns: 300 });
  });

  it("an empty dump (no rows at all) gets a diagnostic with a position", () => {
    for (const text of ["", "\n\n", "00:00.0 Title only\n"]) {
      try {
        parseLspciDump("empty.lspci", text);
        expect.unreachable("an empty dump parsed");
      } catch (e) {
        expect(e).toBeInstanceOf(CfgvirtError);
        expect((e as CfgvirtError).diagnostics[0].span, JSON.stringify(text)).toBeDefined();
      }
    }
  });

  it("binary config files of any length: 64, 256, 4096 accepted, others refused", () => {
    fc.assert(
      fc.property(fc.oneof(fc.constantFrom(0, 1, 63, 64, 65, 255, 256, 4095, 4096, 4097), fc.nat(5000)), (n) => {
        try {
          expect(parseBinaryConfig("x.bin", new Uint8Array(n)).bytes.length).toBe(n);
          expect([64, 256, 4096]).toContain(n);
        } catch (e) {
          expect(e).toBeInstanceOf(CfgvirtError);
          expect([64, 256, 4096]).not.toContain(n);
        }
      }),
      { seed: SEED + 4, numRuns: 100 },
    );
  });
});

describe("access scripts", () => {
  const valid = "# sizing BAR 0\nw 0x10 4 0xffffffff\nr 0x10 4\nr 0x04 2\nw 0x04 2 0x0006\nr 4095 1\n";

  it("mutated scripts parse, or fail naming the line", () => {
    fc.assert(fc.property(textEdits(SCRIPT_TOKENS, 5), (edits) => positioned("script", () => parseAccessScript("fuzz.script", applyEdits(valid, edits)))), { seed: SEED + 5, numRuns: 500 });
  });

  it("random scripts parse, or fail naming the line", () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...SCRIPT_TOKENS, " ", "\n", "\n", "\r\n"), { maxLength: 40 }).map((t) => t.join(" ")), (text) =>
        positioned("script", () => parseAccessScript("random.script", text))),
      { seed: SEED + 6, numRuns: 300 },
    );
  });
});

describe("compiled JSON", () => {
  const json = JSON.stringify(templatesToJson(compileRules().templates.slice(0, 6)), null, 1);

  it("round-trips unmutated", () => expect(() => loadTemplatesJson("t.json", json)).not.toThrow());

  it("mutated compiled JSON loads, or fails with a positioned diagnostic", () => {
    fc.assert(fc.property(textEdits(JSON_TOKENS, 3), (edits) => positioned("json", () => loadTemplatesJson("fuzz.json", applyEdits(json, edits)))), { seed: SEED + 7, numRuns: 300 });
  });

  it("structurally wrong JSON values fail with a positioned diagnostic", () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 3 }), (v) => positioned("json", () => loadTemplatesJson("value.json", JSON.stringify(v)))), { seed: SEED + 8, numRuns: 200 });
  });
});
