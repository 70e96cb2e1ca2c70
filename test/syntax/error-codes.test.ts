// Every error code is documented with an example that reports it; the
// catalogue is docs/errors.md and `cfgvirt explain-error`; `compile
// --error-format json`.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compileRuleText } from "../../src/compile/pipeline.js";
import { loadTemplatesJson } from "../../src/compile/schema.js";
import { ERROR_CODES, renderErrorCatalogue } from "../../src/diag/codes.js";
import { CfgvirtError } from "../../src/diag/diagnostic.js";
import { parseLspciDump } from "../../src/host/dump.js";
import { parseAccessScript, parseReplayScript } from "../../src/runtime/script.js";
import { cli } from "../helpers/cli.js";

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith(".ts") ? [p] : [];
  });
}

function firstDiagnostic(kind: string, text: string): CfgvirtError {
  try {
    if (kind === "rules") compileRuleText("example.rules", text, { standard: false });
    else if (kind === "script") parseAccessScript("example.txt", text);
    else if (kind === "replay") parseReplayScript("example.txt", text, () => 0x50);
    else if (kind === "dump") parseLspciDump("example.lspci", text);
    else if (kind === "json") loadTemplatesJson("example.json", text);
  } catch (e) {
    if (e instanceof CfgvirtError) return e;
    throw e;
  }
  throw new Error(`the ${kind} example reported nothing`);
}

describe("error codes", () => {
  it("every code the source reports is in the catalogue", () => {
    const used = new Set<string>();
    for (const f of sourceFiles("src")) {
      for (const m of readFileSync(f, "utf8").matchAll(/(?:error\(|code: )"([A-Z]\d{3})"/g)) used.add(m[1]);
      // Error codes only: warnings (warning("W...")) are not catalogued here yet.
    }
    const listed = new Set(ERROR_CODES.map((e) => e.code));
    expect([...used].filter((c) => !listed.has(c)).sort()).toEqual([]);
    expect(used.size).toBeGreaterThan(30);
  });

  for (const e of ERROR_CODES.filter((x) => x.example.kind !== "command")) {
    it(`${e.code}: the example reports ${e.code} first`, () => {
      expect(firstDiagnostic(e.example.kind, e.example.text).code).toBe(e.code);
    });
  }

  it("docs/errors.md is the catalogue (refresh: cfgvirt explain-error --all > docs/errors.md)", () => {
    expect(readFileSync("docs/errors.md", "utf8")).toBe(renderErrorCatalogue());
  });

  it("cfgvirt explain-error E110 prints the entry; an unknown code suggests one", async () => {
    const r = await cli("explain-error", "E110");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^# E110: name that resolves to nothing\n\n.*\n\nExample \(a rule file\):\n\n```\ncapability foo/);
    expect(r.out).toContain("override foo.control.enabel hide");
    expect((await cli("explain-error", "e105")).out).toMatch(/^# E105: unknown hook/);
    const bad = await cli("explain-error", "E9");
    expect(bad.code).toBe(2);
    const typo = await cli("explain-error", "E1O5");
    expect(typo.err).toContain("no error code 'E1O5'; did you mean one of `E105`, `E115`?");
  });
});

describe("compile --error-format json", () => {
  it("prints one JSON object per diagnostic on stderr (as rustc does), with 1-based positions, and exits 2", async () => {
    const { mkdtempSync, writeFileSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const dir = mkdtempSync(join(tmpdir(), "cfgvirt-json-"));
    const path = join(dir, "bad.rules");
    writeFileSync(path, 'capability a id 5 {\n  register r @ 0 u8 { [7:0] x RWC pass }\n}\ndevice "d" match 8086:* {\n  hidee vpd\n}\n');
    const r = await cli("compile", "--no-std", path, "--error-format", "json");
    expect(r.code).toBe(2);
    const lines = r.err.trimEnd().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toEqual([
      {
        file: expect.stringMatching(/bad\.rules$/), line: 2, col: 31, endLine: 2, endCol: 34, code: "E001", severity: "error",
        message: "unknown attribute `RWC`; did you mean `RW1C`?", help: "expected an attribute (RO, RW, RW1C, HwInit, ROS, RWS, RW1CS, RsvdP, RsvdZ)",
      },
      {
        file: expect.stringMatching(/bad\.rules$/), line: 5, col: 3, endLine: 5, endCol: 8, code: "E001", severity: "error",
        message: "unknown statement `hidee`; did you mean `hide`?", help: expect.stringContaining("expected a device statement"),
      },
    ]);
    expect(r.out).toBe("");
    expect((await cli("compile", "--error-format", "xml")).code).toBe(2);
  });
});
