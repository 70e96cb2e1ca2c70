// Device files: hiding capabilities at the head and in the middle of both
// chains, ID overrides, single-field overrides, and selectors that match nothing.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { appliedDevice } from "../../src/compile/apply/device.js";
import { compileRuleText } from "../../src/compile/pipeline.js";
import { CfgvirtError } from "../../src/diag/diagnostic.js";
import { openDevice } from "../../src/open-device.js";

const LAYOUTS = ["a", "b", "c"]
  .map(
    (n, i) => `
capability std_${n} id 0x${(0xc1 + i).toString(16)} {
  register header @ 0x00 u16 { [7:0] id RO pass; [15:8] next RO emulate(next) }
  register data @ 0x04 u32 { [15:0] value RW emulate; [31:16] other RW pass }
}
extended ext_${n} id 0x${(0xff1 + i).toString(16)} {
  register header @ 0x00 u32 { [15:0] id RO pass; [19:16] version RO pass; [31:20] next RO emulate(next) }
  register data @ 0x04 u32 { [31:0] value RO pass }
}`,
  )
  .join("\n");

const IMAGE = `
image "chains" {
  header type0 { vendor_id = 0x1af4; device_id = 0x7777; subsystem_vendor_id = 0x1af4; subsystem_id = 0x0001; command = 0x0006 }
  capability std_a @ 0x40 { data = 0x11112222 }
  capability std_b @ 0x50 { data = 0x33334444 }
  capability std_c @ 0x60 { data = 0x55556666 }
  extended ext_a @ 0x100 { data = 0xaaaa0001 }
  extended ext_b @ 0x200 { data = 0xbbbb0002 }
  extended ext_c @ 0x300 { data = 0xcccc0003 }
}
`;

const dir = mkdtempSync(join(tmpdir(), "cfgvirt-devfile-"));
let n = 0;
function open(device: string) {
  const p = join(dir, `d${n++}.rules`);
  writeFileSync(p, LAYOUTS + IMAGE + device);
  return openDevice(p);
}
const dev = (body: string) => `device "test" match 1af4:7777 { ${body} }\n`;

describe("hiding capabilities re-links both chains", () => {
  it("with nothing hidden, the chains are as written", () => {
    const { device } = open("");
    expect(device.read(0x34, 1)).toBe(0x40);
    expect([device.read(0x41, 1), device.read(0x51, 1), device.read(0x61, 1)]).toEqual([0x50, 0x60, 0]);
    expect(device.read(0x100, 4) >>> 20).toBe(0x200);
  });

  it("a capability hidden in the middle of the standard chain is skipped", () => {
    const { device } = open(dev("hide std_b"));
    expect(device.read(0x41, 1)).toBe(0x60);
    expect(device.read(0x50, 4)).toBe(0);
    expect(device.read(0x54, 4)).toBe(0);
  });

  it("a capability hidden at the head of the standard chain moves the Capabilities Pointer", () => {
    const { device } = open(dev("hide std_a"));
    expect(device.read(0x34, 1)).toBe(0x50);
    expect(device.read(0x06, 2) & 0x10).toBe(0x10);
    expect(device.read(0x40, 4)).toBe(0);
  });

  it("with every standard capability hidden, Status.CapList is clear and the pointer 0", () => {
    const { device } = open(dev("hide std_a, std_b, std_c"));
    expect(device.read(0x06, 2) & 0x10).toBe(0);
    expect(device.read(0x34, 1)).toBe(0);
  });

  it("an extended capability hidden in the middle is skipped", () => {
    const { device } = open(dev("hide ext_b"));
    expect(device.read(0x100, 4)).toBe(((0x300 << 20) | (1 << 16) | 0xff1) >>> 0);
    expect(device.read(0x200, 4)).toBe(0);
  });

  it("the first extended capability hidden leaves a header at 0x100 with ID 0 and the right next", () => {
    const { device } = open(dev("hide ext_a"));
    expect(device.read(0x100, 4)).toBe((0x200 << 20) >>> 0);
    expect(device.read(0x104, 4)).toBe(0);
    expect(device.read(0x200, 4)).toBe(((0x300 << 20) | (1 << 16) | 0xff2) >>> 0);
  });
});

describe("overrides", () => {
  it("ids replace what the guest sees, and the host keeps its own", () => {
    const { device, host } = open(dev("ids vendor_id = 0x8086, device_id = 0x1234, subsystem_id = 0xbeef"));
    expect(device.read(0x00, 4)).toBe(0x12348086);
    expect(device.read(0x2e, 2)).toBe(0xbeef);
    expect(device.read(0x2c, 2)).toBe(0x1af4);
    expect(host.read32(0)).toBe(0x77771af4);
    device.write(0x00, 4, 0);
    expect(device.read(0x00, 4)).toBe(0x12348086);
  });

  it("an override changes one field and nothing else", () => {
    const plain = open("");
    const over = open(dev("override std_b.data.value hide(0x5)"));
    expect(over.device.read(0x54, 2)).toBe(0x5);
    expect(over.device.read(0x56, 2)).toBe(plain.device.read(0x56, 2));
    over.device.write(0x54, 2, 0x1234);
    expect(over.device.read(0x54, 2)).toBe(0x5);
    for (let o = 0; o < 0x400; o += 4) if (o !== 0x54) expect(over.device.read(o, 4), `0x${o.toString(16)}`).toBe(plain.device.read(o, 4));
    const field = over.tables.placed.find((p) => p.template.name === "std_b")!.template.fields.find((f) => f.field === "value")!;
    expect(field.policy).toBe("hide");
    expect(field.overriddenBy?.line).toBeGreaterThan(0);
  });
});

describe("selectors that match nothing", () => {
  const fail = (device: string): CfgvirtError => {
    try {
      compileRuleText("dev.rules", LAYOUTS + device);
    } catch (e) {
      if (e instanceof CfgvirtError) return e;
      throw e;
    }
    throw new Error("expected an error");
  };

  it("an override of an unknown field lists the fields it could mean", () => {
    const e = fail(dev("override std_b.data.valeu hide"));
    expect(e.code).toBe("E110");
    expect(e.message).toMatch(/dev\.rules:\d+:\d+: error\[E110\]: override matches nothing: register std_b\.data has no field `valeu`/);
    expect(e.message).toContain("help: did you mean `value`?");
  });

  it("an override of an unknown register or layout lists the candidates", () => {
    expect(fail(dev("override std_b.dta.value hide")).message).toContain("help: did you mean `data`?");
    expect(fail(dev("override std_b.xyzzy.value hide")).message).toContain("help: registers of std_b: header, data");
    expect(fail(dev("override std_q.data.value hide")).message).toMatch(/no layout `std_q`[\s\S]*help: did you mean one of `std_a`, `std_b`, `std_c`\?/);
    expect(fail(dev("override nothing_like.data.value hide")).message).toMatch(/help: layouts: .*std_a, .*std_b/);
  });

  it("allowing or hiding an unknown capability lists the capabilities", () => {
    const e = fail(dev("hide zzz"));
    expect(e.code).toBe("E107");
    expect(e.message).toMatch(/help: capabilities with rules: .*std_a.*std_b.*std_c/);
    expect(fail(dev("allow std_bb")).message).toContain("help: did you mean `std_b`?");
  });
});

describe("device file syntax", () => {
  it("statements may be separated by semicolons on one line", () => {
    const c = compileRuleText("semi.rules", 'device "x" match 8086:10c9 { allow dsn, sriov; hide ari; bar 0 size 128K; permissive }\n');
    const d = c.devices.find((p) => p.name === "x")!;
    expect([...d.allow]).toEqual(["dsn", "sriov"]);
    expect([...d.hide]).toEqual(["ari"]);
    expect(d.barSizes[0]).toBe(128 * 1024);
    expect(d.permissive).toBe(true);
  });
});

describe("overrides of a field in one variant of a register", () => {
  it("reaches a field only a later `when` arm has (PCIe Device Control's Bridge Configuration Retry Enable)", () => {
    const c = compileRuleText("d.rules", 'device "x" match 8086:1234 {\n  override pcie.device_control.bridge_config_retry hide\n}\n');
    const t = appliedDevice(c, c.devices.find((d) => d.name === "x")!).templates.get("pcie")!;
    const f = t.fields.filter((x) => x.register === "device_control" && x.field === "bridge_config_retry");
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ policy: "hide", overriddenBy: { path: "d.rules", line: 2 } });
  });
});
