// Guards and sizes that read another capability's field: `when pcie.flags.device_type == 4`,
// `size from pcie.link_capabilities.max_link_width * 2 + 0x0c`.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compileRuleText } from "../../src/compile/pipeline.js";
import { CfgvirtError } from "../../src/diag/diagnostic.js";
import { openDevice } from "../../src/open-device.js";

const LAYOUTS = `
capability alpha id 0xc1 {
  register header @ 0x00 u16 { [7:0] id RO pass; [15:8] next RO emulate(next) }
  register info @ 0x02 u16 { [3:0] kind RO pass; [9:4] lanes RO pass; [15:10] - RsvdP hide }
}
extended beta id 0x0ff1 size from alpha.info.lanes * 2 + 0x08 {
  register header @ 0x00 u32 { [15:0] id RO pass; [19:16] version RO pass; [31:20] next RO emulate(next) }
  register control @ 0x04 u32 { [31:0] control RW emulate }
  rest RO pass
  when alpha.info.kind == 4 {
    register port_only @ 0x08 u32 { [31:0] port_only RW emulate(0x1234) }
  }
}
`;
const dir = mkdtempSync(join(tmpdir(), "cfgvirt-xlayout-"));
let n = 0;
function device(image: string) {
  const p = join(dir, `x${n++}.rules`);
  writeFileSync(p, LAYOUTS + image);
  return openDevice(p);
}
const image = (alpha: string, lanes: string) => `
image "x" {
  header type0 { vendor_id = 0x1af4; device_id = 0x1; command = 0x6 }
  ${alpha}
  extended beta @ 0x100 { control = 0x55; ${lanes} }
}`;

describe("cross-layout references", () => {
  it("a guard reads another capability's field where the device has it", () => {
    const port = device(image("capability alpha @ 0x40 { info.kind = 4; info.lanes = 2 }", ""));
    expect(port.device.read(0x108, 4)).toBe(0x1234);
    const endpoint = device(image("capability alpha @ 0x40 { info.kind = 0; info.lanes = 2 }", ""));
    expect(endpoint.device.read(0x108, 4)).not.toBe(0x1234);
  });

  it("a size reads another capability's field, scaled and offset, and `rest` covers what it adds", () => {
    const x8 = device(image("capability alpha @ 0x40 { info.kind = 0; info.lanes = 8 }", ""));
    const beta8 = x8.tables.placed.find((p) => p.template.name === "beta")!;
    expect(beta8.size).toBe(8 * 2 + 8);
    const x1 = device(image("capability alpha @ 0x40 { info.kind = 0; info.lanes = 1 }", ""));
    expect(x1.tables.placed.find((p) => p.template.name === "beta")!.size).toBe(1 * 2 + 8);
    // Rest bytes pass read-only: the host's value shows, a write does not reach it.
    x8.host.words[0x110 >> 2] = 0xabcd;
    expect(x8.device.read(0x110, 2)).toBe(0xabcd);
    x8.device.write(0x110, 2, 0);
    expect(x8.host.read32(0x110 >> 2) & 0xffff).toBe(0xabcd);
    // Past the size, default deny.
    x8.host.words[0x118 >> 2] = 0x7777;
    expect(x8.device.read(0x118, 2)).toBe(0);
  });

  it("a field of a capability the device lacks makes the comparison false and the size its minimum", () => {
    const none = device(image("", ""));
    const beta = none.tables.placed.find((p) => p.template.name === "beta")!;
    expect(beta.size).toBe(8);
    expect(beta.guards.every((g) => g === false)).toBe(true);
  });

  it("an unknown LAYOUT.REGISTER.FIELD is an error that suggests the nearest name", () => {
    try {
      compileRuleText("bad.rules", LAYOUTS.replace("alpha.info.kind == 4", "alpha.info.knd == 4"), { standard: false });
      expect.unreachable();
    } catch (e) {
      expect((e as CfgvirtError).message).toMatch(/error\[E110\]: guard `alpha\.info\.knd` names no field of another layout[\s\S]*help: did you mean `kind`\?/);
    }
  });
});
