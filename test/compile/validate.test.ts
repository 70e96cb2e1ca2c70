// Every validation error of the compiler, with its exact message shape:
// path:line:col: error[CODE]: message, the source line, carets, help.
import { describe, expect, it } from "vitest";
import { compileRuleText } from "../../src/compile/pipeline.js";
import { CfgvirtError } from "../../src/diag/diagnostic.js";

function failure(text: string, opts: { standard?: boolean } = { standard: false }): CfgvirtError {
  try {
    compileRuleText("t.rules", text, opts);
  } catch (e) {
    if (e instanceof CfgvirtError) return e;
    throw e;
  }
  throw new Error("expected the rules to be rejected");
}

const wrap = (body: string) => `capability foo id 0x05 {\n  register header @ 0x00 u16 { [7:0] id RO pass; [15:8] next RO emulate(next) }\n${body}\n}\n`;

describe("validation errors", () => {
  it("E001: a syntax error names the token, points at it, and never shows Ohm's own text", () => {
    const e = failure("capability msi id 0x05 {\n  register control @ 0x02 u17 { }\n}\n");
    expect(e.code).toBe("E001");
    expect(e.message).toBe(
      [
        "t.rules:2:27: error[E001]: unknown register width `u17`; did you mean `u16`?",
        "  |",
        "2 |   register control @ 0x02 u17 { }",
        "  |                           ^^^",
        "help: expected a register width (u8, u16, u32)",
      ].join("\n"),
    );
    expect(e.message).not.toMatch(/Line \d+, col \d+|Expected/);
  });

  it("E101: overlapping fields", () => {
    const e = failure(wrap("  register control @ 0x02 u16 {\n    [3:0] a RW pass\n    [2] b RO pass\n    [15:4] - RsvdP hide\n  }"));
    expect(e.message).toBe(
      [
        "t.rules:5:5: error[E101]: field `b` [2:2] overlaps field `a` [3:0] in register `control`",
        "  |",
        "5 |     [2] b RO pass",
        "  |     ^^^",
        "help: each bit belongs to exactly one field",
      ].join("\n"),
    );
  });

  it("E102: bits past the register width", () => {
    const e = failure(wrap("  register control @ 0x02 u16 { [16:0] a RW pass }"));
    expect(e.code).toBe("E102");
    expect(e.message).toContain("t.rules:3:33: error[E102]: field `a` bits [16:0] run past the 16-bit register `control`");
    expect(e.message).toContain("help: bits of a u16 register are 0..15");
  });

  it("E103: a register past the capability's size", () => {
    const e = failure("capability foo id 0x05 size 4 {\n  register header @ 0x00 u16 { [7:0] id RO pass; [15:8] next RO emulate(next) }\n  register data @ 0x04 u32 { [31:0] d RW emulate }\n}\n");
    expect(e.message).toContain("t.rules:3:3: error[E103]: register `data` (0x4..0x7) runs past the end of foo (size 0x4)");
    expect(e.message).toContain("help: move the register or raise the layout's size");
  });

  it("E103: a register past the 4 KiB configuration space", () => {
    const e = failure(wrap("  register far @ 0x1000 u32 { [31:0] x RO pass }"));
    expect(e.message).toContain("t.rules:3:18: error[E103]: register `far` at 0x1000 lies past the 4 KiB configuration space");
  });

  it("E104: duplicate names of registers, fields and layouts", () => {
    const e = failure(
      wrap("  register control @ 0x02 u16 { [7:0] a RW pass; [15:8] a RW pass }\n  register control @ 0x04 u16 { [15:0] b RO pass }") +
        "capability foo id 0x06 { register header @ 0x00 u16 { [15:0] x RO pass } }\n",
    );
    const codes = e.diagnostics.map((d) => d.code);
    expect(codes.filter((c) => c === "E104")).toHaveLength(3);
    expect(e.message).toContain("error[E104]: duplicate field name `a` in register `control`");
    expect(e.message).toContain("error[E104]: duplicate register name `control` in foo");
    expect(e.message).toContain("error[E104]: duplicate layout name `foo`");
  });

  it("E104: variant registers in different arms of a `when` may share a name and offset", () => {
    expect(() =>
      compileRuleText("t.rules", wrap(
        "  register control @ 0x02 u16 { [0] wide RO pass; [15:1] - RsvdP hide }\n" +
        "  when control.wide { register data @ 0x04 u32 { [31:0] d RW emulate } } else { register data @ 0x04 u16 { [15:0] d RW emulate } }",
      ), { standard: false }),
    ).not.toThrow();
  });

  it("E105: unknown hook, with the known ones listed", () => {
    const e = failure(wrap("  register control @ 0x02 u16 { [15:0] a RW trap(frobnicate) }"));
    expect(e.message).toContain("t.rules:3:50: error[E105]: unknown hook `frobnicate`");
    expect(e.message).toMatch(/help: known hooks: bar, rom, msi_enable, msix_control, power_state, vpd_address, flr/);
  });

  it("E106: attribute and policy combinations that make no sense", () => {
    const e = failure(wrap("  register control @ 0x02 u16 { [7:0] - RsvdZ pass; [11:8] - RsvdP hide(3); [15:12] - RsvdP trap(bar) }"));
    expect(e.diagnostics.map((d) => d.code)).toEqual(["E106", "E106", "E106"]);
    expect(e.message).toContain("error[E106]: RsvdZ field `-` in `control` is passed through");
    expect(e.message).toContain("help: RsvdZ bits must read 0 and be written 0: use `hide`");
    expect(e.message).toContain("error[E106]: reserved field `-` in `control` is given the non-zero value 0x3");
    expect(e.message).toContain("error[E106]: reserved field `-` in `control` is trapped");
  });

  it("E107: a device file names a capability no rule defines, and the candidates are listed", () => {
    const e = failure(wrap("  register control @ 0x02 u16 { [15:0] a RO pass }") + 'device "d" match 8086:10c9 { allow sriov }\n');
    expect(e.message).toBe(
      [
        't.rules:5:36: error[E107]: device "d" names capability `sriov`, which no rule defines',
        "  |",
        '5 | device "d" match 8086:10c9 { allow sriov }',
        "  |                                    ^^^^^",
        "help: capabilities with rules: foo",
      ].join("\n"),
    );
  });

  it("E108: a constant that does not fit its field", () => {
    const e = failure(wrap("  register control @ 0x02 u16 { [3:0] a RW emulate(0x10); [15:4] - RsvdP hide }"));
    expect(e.message).toContain("error[E108]: value 0x10 does not fit the 4-bit field `a`");
    expect(e.message).toContain("help: the largest value for 4 bits is 0xf");
  });

  it("E109: a register not aligned to its width", () => {
    const e = failure(wrap("  register control @ 0x02 u32 { [31:0] a RW pass }"));
    expect(e.message).toContain("error[E109]: register `control` at 0x2 is not aligned to its 32-bit width");
  });

  it("E110: a guard or override naming no field lists the candidates", () => {
    const e = failure(wrap("  register control @ 0x02 u16 { [15:0] a RO pass }\n  when control.nope { register x @ 0x04 u16 { [15:0] x RO pass } }"));
    expect(e.message).toContain("error[E110]: register `control` has no field `nope`");
    expect(e.message).toContain("help: fields of control: a");
    const o = failure(wrap("  register control @ 0x02 u16 { [15:0] a RO pass }") + 'device "d" match 8086:* { override foo.control.b hide }\n');
    expect(o.message).toContain("error[E110]: override matches nothing: register foo.control has no field `b`");
    expect(o.message).toContain("help: fields of control: a");
  });

  it("E111: an include that cannot be found", () => {
    const e = failure('include "nowhere.rules"\n');
    expect(e.message).toContain('t.rules:1:1: error[E111]: cannot find included file "nowhere.rules"');
  });

  it("E112: overlapping registers", () => {
    const e = failure(wrap("  register a @ 0x04 u32 { [31:0] a RO pass }\n  register b @ 0x06 u16 { [15:0] b RO pass }"));
    expect(e.message).toContain("error[E112]: register `b` overlaps register `a`");
  });

  it("E113: two hooks in one register", () => {
    const e = failure(wrap("  register control @ 0x02 u16 { [0] a RW trap(msi_enable); [1] b RW trap(flr); [15:2] - RsvdP hide }"));
    expect(e.message).toContain("t.rules:3:74: error[E113]: hook `flr` shares dword 0x0 of foo with hook `msi_enable`");
  });

  it("E113: two hooks in one dword, in different registers", () => {
    const e = failure(wrap("  register a @ 0x04 u16 { [0] a RW trap(msi_enable); [15:1] - RsvdP hide }\n  register b @ 0x06 u16 { [0] b RW trap(flr); [15:1] - RsvdP hide }"));
    expect(e.message).toContain("error[E113]: hook `flr` shares dword 0x4 of foo with hook `msi_enable`");
  });

  it("E113 is not raised for hooks in different arms of one `when`", () => {
    const text = wrap("  register flags @ 0x02 u16 { [0] big RO pass; [15:1] - RsvdP hide }\n  when flags.big { register a @ 0x04 u16 { [0] a RW trap(msi_enable); [15:1] - RsvdP hide } }\n  else { register b @ 0x06 u16 { [0] b RW trap(flr); [15:1] - RsvdP hide } }");
    expect(() => compileRuleText("t.rules", text, { standard: false })).not.toThrow();
  });

  it("E130: a guard or size on a field the hardware or the guest can change", () => {
    const e = failure(wrap("  register status @ 0x02 u16 { [0] logged RW1C pass; [1] live ROS pass; [15:2] - RsvdP hide }\n  when status.logged { register a @ 0x04 u32 { [31:0] a RO pass } }\n  when status.live { register b @ 0x08 u32 { [31:0] b RO pass } }"));
    expect(e.message).toContain("t.rules:4:8: error[E130]: a guard reads `status.logged`, a RW1C field the hardware or the guest can change");
    expect(e.message).toContain("t.rules:5:8: error[E130]: a guard reads `status.live`, a ROS field");
    const size = failure("capability foo id 0x05 size from control.n {\n  register header @ 0x00 u16 { [7:0] id RO pass; [15:8] next RO emulate(next) }\n  register control @ 0x02 u16 { [7:0] n RW emulate; [15:8] - RsvdP hide }\n}\n");
    expect(size.message).toContain("error[E130]: a size reads `control.n`, a RW field");
  });

  it("E114: an unknown structural initial value", () => {
    const e = failure(wrap("  register control @ 0x02 u16 { [15:0] a RO emulate(nxt) }"));
    expect(e.message).toContain("error[E114]: unknown initial value `nxt`");
    expect(e.message).toContain("help: use hw, a number, or one of: next, first_cap, cap_list");
  });

  it("E115: bits no field describes", () => {
    const e = failure(wrap("  register control @ 0x02 u16 { [3:0] a RO pass }"));
    expect(e.message).toContain("error[E115]: register `control` has bits no field describes: [15:4]");
    expect(e.message).toContain("help: describe every bit, e.g. `[15:4] - RsvdP hide`");
  });

  it("E117: a capability ID out of range for its kind", () => {
    const e = failure("capability big id 0x100 {\n  register header @ 0x00 u16 { [7:0] id RO pass; [15:8] next RO emulate(next) }\n}\n");
    expect(e.message).toContain("t.rules:1:19: error[E117]: capability ID 0x100 is out of range");
    expect(e.message).toContain("help: a capability ID is at most 0xff");
  });

  it("collects every error of a stage before stopping, in source order", () => {
    const e = failure(wrap(
      "  register a @ 0x04 u16 { [16] a RO pass; [15:0] - RsvdP hide }\n" +
      "  register b @ 0x08 u16 { [15:0] b RW trap(nope) }\n" +
      "  register c @ 0x0c u16 { [15:0] c RsvdZ pass }",
    ));
    expect(e.diagnostics.map((d) => d.code)).toEqual(["E102", "E105", "E106"]);
    const lines = e.diagnostics.map((d) => d.span!.source.position(d.span!.start).line);
    expect(lines).toEqual([...lines].sort((a, b) => a - b));
  });
});
