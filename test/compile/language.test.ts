// Issue 12: the language lets each register be written once: register blocks
// shared by layouts, layouts with several IDs, an implicit capability header
// the compiler checks, register arrays, per-register spec citations, and `##`
// doc comments that reach the compiled templates (and so the docs).
import { describe, expect, it } from "vitest";
import { compileRuleText } from "../../src/compile/pipeline.js";
import { CfgvirtError } from "../../src/diag/diagnostic.js";
import { attach } from "../../src/runtime/attach.js";
import { SimulatedDevice } from "../../src/host/simulated.js";

const compile = (text: string) => compileRuleText("t.rules", text, { standard: false });
function failure(text: string): string {
  try {
    compile(text);
  } catch (e) {
    if (e instanceof CfgvirtError) return e.message;
    throw e;
  }
  throw new Error("expected the rules to be rejected");
}

describe("register arrays (`repeat`)", () => {
  const t = compile(`extended arr id 0x0015 {
  register count @ 0x04 u32 { [2:0] n RO pass; [31:3] - RsvdP hide }
  repeat i in 1..3 stride 0x08 when count.n > i {
    register cap @ 0x08 u32 { [31:0] sizes RO pass }
    register ctl @ 0x0c u32 { [5:0] size RW emulate; [31:6] - RsvdP hide }
  }
}
`).templatesByName.get("arr")!;

  it("suffixes names with the index and moves each copy by the stride", () => {
    const regs = t.pieces.map((p) => [p.register, p.dword * 4]);
    expect(regs).toEqual([["header", 0], ["count", 4], ["cap1", 0x10], ["ctl1", 0x14], ["cap2", 0x18], ["ctl2", 0x1c], ["cap3", 0x20], ["ctl3", 0x24]]);
  });

  it("substitutes the index in the guard", () => {
    const guardOf = (reg: string) => t.guards[t.pieces.find((p) => p.register === reg)!.guard];
    expect(guardOf("cap1")).toMatchObject({ op: ">", path: "count.n", value: 1 });
    expect(guardOf("ctl3")).toMatchObject({ op: ">", path: "count.n", value: 3 });
  });

  it("E132: a guard that compares with a name no repeat defines", () => {
    expect(failure("capability c id 0x09 {\n  register r @ 0x02 u16 { [3:0] n RO pass; [15:4] - RsvdP hide }\n  when r.n > j { register x @ 0x04 u32 { [31:0] x RO pass } }\n}\n"))
      .toContain("t.rules:3:14: error[E132]: `j` is not a number or the index of an enclosing `repeat`");
  });
});

describe("register blocks (`registers` / `use`)", () => {
  const text = `registers ids {
  register vendor @ 0x00 u16 { [15:0] vendor RO pass }
  register device @ 0x02 u16 { [15:0] device RO pass }
}
header a type 0 { use ids; register rest @ 0x04 u32 { [31:0] - RsvdP hide } }
header b type 1 { use ids; register rest @ 0x04 u32 { [31:0] - RsvdZ hide } }
`;
  it("inlines the block's registers in every layout that uses it", () => {
    const c = compile(text);
    for (const name of ["a", "b"]) expect(c.templatesByName.get(name)!.pieces.map((p) => p.register)).toEqual(["vendor", "device", "rest"]);
  });

  it("E133: a `use` of a block that does not exist names the blocks there are", () => {
    expect(failure(text.replace("use ids; register rest @ 0x04 u32 { [31:0] - RsvdZ", "use idz; register rest @ 0x04 u32 { [31:0] - RsvdZ")))
      .toMatch(/t\.rules:6:23: error\[E133\]: no register block `idz`[\s\S]*help: register blocks: ids/);
  });
});

describe("layouts with several IDs", () => {
  const text = "extended vc id 0x0002, 0x0009 {\n  register cap @ 0x04 u32 { [31:0] c RO pass }\n}\n";
  it("one layout describes both IDs", () => {
    const t = compile(text).templatesByName.get("vc")!;
    expect([t.id, ...(t.otherIds ?? [])]).toEqual([0x0002, 0x0009]);
  });

  it("E104: another layout may not claim one of them", () => {
    expect(failure(text + "extended other id 0x0009 { register x @ 0x04 u32 { [31:0] x RO pass } }\n")).toContain("error[E104]: extended ID 0x9 is already described by `vc`");
  });

  it("a device with VC at ID 0009h gets the standard library's `vc` layout", () => {
    const c = compileRuleText("none.rules", "");
    const bytes = new Uint8Array(4096);
    bytes.set([0x86, 0x80, 0x00, 0x10], 0);
    bytes.set([0x09, 0x00, 0x01, 0x00], 0x100); // VC (ID 0009h), version 1, last in the chain
    const t = attach(c, new SimulatedDevice(bytes));
    expect(t.placed.find((p) => p.offset === 0x100)).toMatchObject({ template: { name: "vc" }, visible: true });
  });
});

describe("the implicit capability header", () => {
  it("is written by the compiler when a capability leaves it out", () => {
    const t = compile("capability c id 0x09 {\n  register r @ 0x02 u16 { [15:0] x RO pass }\n}\n").templatesByName.get("c")!;
    expect(t.fields.filter((f) => f.register === "header").map((f) => [f.field, f.hi, f.lo, f.policy, f.detail])).toEqual([
      ["id", 7, 0, "pass", "const"],
      ["next", 15, 8, "emulate", "next"],
    ]);
    const e = compile("extended e id 0x0001 {\n  register r @ 0x04 u32 { [31:0] x RO pass }\n}\n").templatesByName.get("e")!;
    expect(e.fields.filter((f) => f.register === "header").map((f) => f.field)).toEqual(["id", "version", "next"]);
  });

  it("E131: a header written differently from the standard one is an error", () => {
    expect(failure("capability c id 0x09 {\n  register header @ 0x00 u16 { [7:0] id RO pass; [15:8] next RO pass }\n}\n"))
      .toMatch(/t\.rules:2:3: error\[E131\]: the capability header of c differs from the standard one[\s\S]*help: leave it out/);
  });
});

describe("documentation and citations reach the templates", () => {
  const t = compile(`## A capability for testing.
## Second line.
capability c id 0x09 {
  ## The control register.
  register control @ 0x02 u16 spec "PCIe Base 6.0 §7.9.4" {
    ## Turns it on.
    [0]    enable RW emulate
    [15:1] -      RsvdP hide  ## reserved by the spec
  }
}
`).templatesByName.get("c")!;

  it("layout, register and field docs, and the register's own citation", () => {
    expect(t.doc).toBe("A capability for testing.\nSecond line.");
    const enable = t.fields.find((f) => f.field === "enable")!;
    expect(enable).toMatchObject({ doc: "Turns it on.", registerDoc: "The control register.", registerSpec: "PCIe Base 6.0 §7.9.4" });
    expect(t.fields.find((f) => f.register === "control" && f.field === undefined)!.doc).toBe("reserved by the spec");
  });

  it("a plain `#` comment is not documentation", () => {
    const u = compile("# not a doc\ncapability c id 0x09 {\n  register r @ 0x02 u16 { [15:0] x RO pass }\n}\n").templatesByName.get("c")!;
    expect(u.doc).toBeUndefined();
  });
});

describe("pass(read)", () => {
  it("reads the hardware and drops the guest's writes; a write-back leaves an RW1C bit alone", () => {
    const t = compile("capability c id 0x09 {\n  register s @ 0x02 u16 { [0] live RW1C pass(read); [1] clears RW1C pass; [2] setting RW pass(read); [15:3] - RsvdP hide }\n}\n").templatesByName.get("c")!;
    const m = t.pieces.find((p) => p.register === "s")!.masks;
    const bit = (b: number) => (1 << (16 + b)) >>> 0;
    expect(m.hwRead & bit(0)).toBe(bit(0));
    expect(m.hwWrite & (bit(0) | bit(2))).toBe(0);
    expect(m.hwWrite & bit(1)).toBe(bit(1));
    expect(m.preserve & bit(0)).toBe(0); // RW1C: written back as 0, so never cleared
    expect(m.preserve & bit(2)).toBe(bit(2)); // RW: written back as the hardware holds it
    expect(t.fields.find((f) => f.field === "live")).toMatchObject({ policy: "pass", detail: "read" });
  });
});

describe("fields that differ by arm, inside one register", () => {
  // One register, bit 15 chosen by the device type (PCIe Device Control's shape).
  const text = `capability c id 0x14 {
  register flags @ 0x02 u16 { [3:0] type RO pass; [15:4] - RsvdP hide }
  register control @ 0x04 u16 {
    [14:0] common RW emulate
    when flags.type == 1 {
      [15] flr RW trap(flr, 0)
    } else when flags.type == 7 {
      [15] retry RW emulate
    } else {
      [15] - RsvdP hide
    }
  }
}
`;
  const t = compile(text).templatesByName.get("c")!;

  it("compiles to one register variant per arm, each with the common fields", () => {
    const control = t.pieces.filter((p) => p.register === "control");
    expect(control.length).toBe(3);
    for (const p of control) expect(p.masks.covered).toBe(0xffff);
    expect(control.map((p) => [p.masks.virtWrite, p.hooks.map((h) => h.hook)])).toEqual([[0xffff, ["flr"]], [0xffff, []], [0x7fff, []]]);
    const names = t.fields.filter((f) => f.register === "control").map((f) => f.field ?? "-");
    expect(names).toEqual(["common", "flr", "common", "retry", "common", "-"]);
  });

  it("chooses the arm by the device, and an override reaches a field of a later arm", () => {
    const device = (type: number) => {
      const bytes = new Uint8Array(256);
      bytes.set([0x86, 0x80, 0x00, 0x10, 0, 0, 0x10, 0], 0);
      bytes[0x34] = 0x40;
      bytes.set([0x14, 0x00, type, 0x00, 0x00, 0x80], 0x40);
      return new SimulatedDevice(bytes);
    };
    const c = compileRuleText("t.rules", text + `device "d" match 8086:1000 { override c.control.retry pass }\n`);
    const retry = attach(c, device(7));
    expect(retry.hwWrite[0x44 >> 2] & 0xffff).toBe(0x8000);
    const endpoint = attach(c, device(1));
    expect(endpoint.hook[0x44 >> 2]).not.toBe(0);
    expect(endpoint.hwWrite[0x44 >> 2] & 0xffff).toBe(0);
  });

  it("E115: an arm that leaves bits undescribed is reported", () => {
    expect(failure(`capability c id 0x14 {
  register flags @ 0x02 u16 { [3:0] type RO pass; [15:4] - RsvdP hide }
  register control @ 0x04 u16 {
    [14:0] common RW emulate
    when flags.type == 1 { [15] flr RW emulate }
  }
}
`)).toContain("error[E115]: register `control` has bits no field describes: [15]");
  });
});

describe("`RO const`: fields that cannot change by themselves", () => {
  const text = `capability c id 0x14 {
  register caps @ 0x04 u32 { [15:0] fixed RO const pass; [23:16] live RO pass; [31:24] init HwInit pass }
}
`;
  const bytes = () => {
    const b = new Uint8Array(256);
    b.set([0x86, 0x80, 0x00, 0x10, 0, 0, 0x10, 0], 0);
    b[0x34] = 0x40;
    b.set([0x14, 0x00, 0, 0, 0x34, 0x12, 0x56, 0x78], 0x40);
    return b;
  };

  it("are served from the attach-time snapshot, HwInit too; plain RO is read live", () => {
    const c = compileRuleText("t.rules", text);
    const host = new SimulatedDevice(bytes());
    const t = attach(c, host);
    const d = 0x44 >> 2;
    expect(t.hwRead[d]).toBe(0x00ff0000);
    expect(t.virtRead[d]).toBe(0xff00ffff);
    expect(t.initialShadow[d] & 0xff00ffff).toBe(0x78001234);
    const f = c.templatesByName.get("c")!.fields;
    expect(f.filter((x) => x.register === "caps").map((x) => [x.field, x.policy, x.detail])).toEqual([["fixed", "pass", "const"], ["live", "pass", ""], ["init", "pass", "const"]]);
  });

  it("E134: `const` on a field that can change, or with pass(read)", () => {
    expect(failure("capability c id 0x14 {\n  register s @ 0x02 u16 { [15:0] busy RW1C const pass }\n}\n"))
      .toContain("t.rules:2:44: error[E134]: RW1C field `busy` in `s` is marked `const`");
    expect(failure("capability c id 0x14 {\n  register s @ 0x02 u16 { [15:0] x HwInit const pass }\n}\n")).toContain("HwInit fields are constant already");
    expect(failure("capability c id 0x14 {\n  register s @ 0x02 u16 { [15:0] x RO const pass(read) }\n}\n")).toContain("error[E134]: `const` field `x` in `s` is read live with `pass(read)`");
  });
});
