// Syntax errors phrased from what was expected, "did you mean" for misspelt
// keywords, attributes, fields, layouts and hooks, unclosed braces reported
// where they open, and several independent errors from one file.
import { describe, expect, it } from "vitest";
import { compileRuleText } from "../../src/compile/pipeline.js";
import { CfgvirtError, type Diagnostic, formatDiagnostics } from "../../src/diag/diagnostic.js";
import { parseRules } from "../../src/syntax/parse.js";

function syntaxErrors(text: string): Diagnostic[] {
  const r = parseRules("t.rules", text);
  if (r.ok) throw new Error("expected a syntax error");
  return r.diagnostics;
}
const rendered = (text: string) => formatDiagnostics(syntaxErrors(text));

function compileError(text: string, standard = false): CfgvirtError {
  try {
    compileRuleText("t.rules", text, { standard });
  } catch (e) {
    if (e instanceof CfgvirtError) return e;
    throw e;
  }
  throw new Error("expected the rules to be rejected");
}

const layout = (field: string) => `capability a id 0x05 {\n  register r @ 0x00 u8 {\n    ${field}\n  }\n}\n`;

describe("syntax errors say what was expected", () => {
  it("a misspelt device statement is an unknown statement with a suggestion", () => {
    expect(rendered('device "x" match 8086:* {\n  hidee vpd\n}\n')).toBe(
      [
        "t.rules:2:3: error[E001]: unknown statement `hidee`; did you mean `hide`?",
        "  |",
        "2 |   hidee vpd",
        "  |   ^^^^^",
        "help: expected a device statement (allow, hide, override, ids, bar, rom, pass, permissive) or `}`",
      ].join("\n"),
    );
  });

  it("a misspelt attribute suggests the attribute it was likely meant to be", () => {
    expect(rendered(layout("[7:0] x RWC pass"))).toBe(
      [
        "t.rules:3:13: error[E001]: unknown attribute `RWC`; did you mean `RW1C`?",
        "  |",
        "3 |     [7:0] x RWC pass",
        "  |             ^^^",
        "help: expected an attribute (RO, RW, RW1C, HwInit, ROS, RWS, RW1CS, RsvdP, RsvdZ)",
      ].join("\n"),
    );
  });

  it("a missing attribute is phrased as the expected attribute", () => {
    expect(rendered(layout("[7:0] x pass"))).toMatch(/^t\.rules:3:13: error\[E001\]: unknown attribute `pass`\n[\s\S]*help: expected an attribute \(RO, RW, RW1C, /);
    expect(rendered(layout("[7:0] x 7 pass"))).toContain("error[E001]: expected an attribute (RO, RW, RW1C, HwInit, ROS, RWS, RW1CS, RsvdP, RsvdZ), found `7`");
  });

  it("policies, widths, layout statements and items get the same treatment", () => {
    expect(rendered(layout("[7:0] x RW emulat"))).toContain("error[E001]: unknown policy `emulat`; did you mean `emulate`?");
    expect(rendered(layout("[7:0] x RW trap(foo"))).toContain("error[E001]: expected `)` or `,`, found `}`");
    expect(rendered(layout("[x:0] x RW pass"))).toContain("error[E001]: expected a number, found `x`");
    expect(rendered("capability a id 5 {\n  regster r @ 0 u8 { [7:0] x RW pass }\n}\n")).toContain(
      "t.rules:2:3: error[E001]: unknown statement `regster`; did you mean `register`?",
    );
    expect(rendered('devce "d" match 8086:* {\n}\n')).toContain("t.rules:1:1: error[E001]: unknown item `devce`; did you mean `device`?");
    expect(rendered("capability a id 5 { register r @ 0 u64 { } }\n")).toContain("error[E001]: unknown register width `u64`\n");
  });

  it("strings, `=` for `==`, and a stray `}`", () => {
    expect(rendered("include msi.rules\n")).toContain("t.rules:1:9: error[E001]: expected a string in double quotes, found `msi`");
    expect(rendered("capability a id 5 {\n  when r.x = 1 { }\n}\n")).toMatch(/t\.rules:2:12: error\[E001\]: expected .*`==`.*, found `=`[\s\S]*help: did you mean `==`\?/);
    expect(rendered(layout("[7:0] x RW pass") + "}\n")).toContain("t.rules:6:1: error[E001]: unexpected `}`: no block is open here");
  });

  it("never shows Ohm's own wording", () => {
    for (const text of ['device "x" match 8086:* {\n  hidee vpd\n}\n', layout("[7:0] x RWC pass"), "§"]) {
      expect(rendered(text)).not.toMatch(/Expected|Line \d+, col|not an identPart|something else/);
    }
  });
});

describe("an unclosed brace is reported where it opens", () => {
  it("a layout missing its `}` before a device file", () => {
    const text = 'capability a id 5 {\n  register r @ 0 u8 { [7:0] x RW pass }\n\ndevice "d" match 8086:* {\n  allow a\n}\n';
    expect(rendered(text)).toBe(
      [
        "t.rules:1:19: error[E004]: unclosed `{`",
        "  |",
        "1 | capability a id 5 {",
        "  |                   ^",
        "help: this block has no matching `}`: close it before line 4, where the next item starts",
      ].join("\n"),
    );
  });

  it("a register missing its `}` inside a layout: indentation tells which", () => {
    const text = "capability a id 5 {\n  register r @ 0 u8 {\n    [7:0] x RW pass\n\n  register s @ 1 u8 {\n    [7:0] y RW pass\n  }\n}\n";
    const [d, ...rest] = syntaxErrors(text);
    expect(rest).toEqual([]);
    expect(d.code).toBe("E004");
    expect(formatDiagnostics([d])).toMatch(/^t\.rules:2:21: error\[E004\]: unclosed `\{`\n  \|\n2 \|   register r @ 0 u8 \{\n/);
    expect(d.help).toBe("this block has no matching `}`: close it before the end of the file");
  });
});

describe("recovery: one file reports several independent errors", () => {
  it("each broken top-level item reports its own error, and good items none", () => {
    const text = [
      "capability a id 5 {",
      "  register r @ 0 u8 { [x:0] x RW pass }",
      "}",
      "capability b id 6 {",
      "  register r @ 0 u8 { [7:0] x RW pass }",
      "}",
      'device "d" match 8086:* {',
      "  hidee vpd",
      "}",
      "header h type 0 {",
      "  regster r @ 0 u8 { [7:0] x RW pass }",
      "}",
      "",
    ].join("\n");
    const ds = syntaxErrors(text);
    expect(ds.map((d) => `${d.span!.source.position(d.span!.start).line}: ${d.message}`)).toEqual([
      "2: expected a number, found `x`",
      "8: unknown statement `hidee`; did you mean `hide`?",
      "11: unknown statement `regster`; did you mean `register`?",
    ]);
  });

  it("a word at column 0 inside an unfinished item header does not start an item", () => {
    const text = 'capability a id 5 {\n  regster r @ 0 u8 { [7:0] x RW pass }\n}\ndevice "d" match 8086:*,\nclass 0x020000 {\n  allow a\n}\n';
    expect(syntaxErrors(text).map((d) => d.message)).toEqual(["unknown statement `regster`; did you mean `register`?"]);
  });

  it("the items that parse come back as a partial file, with the file's offsets", () => {
    const text = 'capability a id 5 {\n  register r @ 0 u8 { [7:0] x RW pass }\n}\ndevice "d" match 8086:* {\n  hidee vpd\n}\ncapability b id 6 {\n}\n';
    const r = parseRules("t.rules", text);
    if (r.ok) throw new Error("expected a syntax error");
    expect(r.partial.items.map((i) => (i.kind === "layout" ? i.name.name : i.kind))).toEqual(["a", "b"]);
    const b = r.partial.items[1];
    expect(text.slice(b.span.start, b.span.end)).toBe("capability b id 6 {\n}");
  });

  it("compiling reports them all in the CfgvirtError", () => {
    const e = compileError('device "d" match 8086:* {\n  hidee vpd\n}\ndevice "e" match 8086:* {\n  alow vpd\n}\n');
    expect(e.diagnostics.map((d) => d.message)).toEqual([
      "unknown statement `hidee`; did you mean `hide`?",
      "unknown statement `alow`; did you mean `allow`?",
    ]);
  });
});

describe("did you mean, in names the compiler resolves", () => {
  const pcieOverride = (path: string) => `device "d" match 8086:* {\n  override ${path} emulate\n}\n`;

  it("an override of a misspelt field names the nearest field instead of listing them all", () => {
    const e = compileError(pcieOverride("pcie.device_control.max_read_request"), true);
    expect(e.message).toContain("error[E110]: override matches nothing: register pcie.device_control has no field `max_read_request`");
    expect(e.message).toContain("help: did you mean `max_read_request_size`?");
    expect(e.message).not.toContain("fields of device_control");
  });

  it("misspelt layouts and registers in overrides, and capabilities in allow/hide", () => {
    expect(compileError(pcieOverride("pcei.device_control.max_read_request_size"), true).message).toContain("help: did you mean `pcie`?");
    expect(compileError(pcieOverride("pcie.device_contrl.max_read_request_size"), true).message).toContain("help: did you mean `device_control`?");
    expect(compileError('device "d" match 8086:* {\n  allow sriovv\n}\n', true).message).toContain("help: did you mean `sriov`?");
  });

  it("a guard naming a misspelt register suggests the register", () => {
    const e = compileError(`${layout("[7:0] x RO pass")}`.replace("  }\n}", "  }\n  when rr.x { register s @ 0x01 u8 { [7:0] y RO pass } }\n}"));
    expect(e.message).toContain("error[E110]: guard `rr.x` names no register.field of a");
    expect(e.message).toContain("help: did you mean `r`?");
  });

  it("a misspelt hook suggests the hook; an unrelated name still lists them", () => {
    expect(compileError(layout("[7:0] x RW trap(msi_enabel)")).message).toContain("error[E105]: unknown hook `msi_enabel`\n  |\n3 |     [7:0] x RW trap(msi_enabel)\n  |                     ^^^^^^^^^^\nhelp: did you mean `msi_enable`?");
    expect(compileError(layout("[7:0] x RW trap(zzzz)")).message).toContain("help: known hooks: bar, rom, msi_enable");
  });
});
