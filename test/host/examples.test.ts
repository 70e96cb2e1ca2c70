// The example devices are written in the rule language; their images must be
// real configuration spaces: lspci decodes them, the chains hold what was written.
import { basename } from "node:path";
import { describe, expect, it } from "vitest";
import { compileRuleText } from "../../src/compile/pipeline.js";
import { CfgvirtError } from "../../src/diag/diagnostic.js";
import { formatLspciDump } from "../../src/host/dump.js";
import { buildImage } from "../../src/compile/image.js";
import { exampleDevices, guestView, openDevice, readDeviceSource } from "../../src/open-device.js";
import { decode, haveLspci } from "../helpers/lspci.js";

describe("example devices", () => {
  it("ships at least three: a NIC, an NVMe controller and a USB controller", () => {
    const classes = exampleDevices().map((p) => {
      const b = readDeviceSource(p).bytes;
      return (b[0x0b] << 16) | (b[0x0a] << 8) | b[0x09];
    });
    expect(classes).toEqual(expect.arrayContaining([0x020000, 0x010802, 0x0c0330]));
  });

  describe.skipIf(!haveLspci).each(exampleDevices().map((p) => [basename(p), p]))("%s", (_n, path) => {
    it("decodes with lspci, host and guest, with the capabilities written in the image", () => {
      const source = readDeviceSource(path);
      const host = decode(formatLspciDump(source.bytes, source.title));
      expect(host.stderr).toBe("");
      const image = source.compiled.ruleSet.images[0];
      const written = image.stmts.flatMap((s) => (s.kind === "block" && s.offset ? [s.offset.value] : []));
      expect(host.capabilities.map((c) => c.offset)).toEqual(written);
      const opened = openDevice(path);
      const guest = decode(formatLspciDump(guestView(opened.device, opened.host.size), source.title));
      expect(guest.stderr).toBe("");
      expect(guest.capabilities.map((c) => c.offset)).toEqual(written);
    });
  });
});

describe("image errors", () => {
  const fail = (text: string): string => {
    try {
      const c = compileRuleText("img.rules", text);
      buildImage(c.ruleSet.images[0], c);
    } catch (e) {
      if (e instanceof CfgvirtError) return e.message;
      throw e;
    }
    throw new Error("expected an error");
  };

  it("names an unknown layout with the candidates", () => {
    expect(fail('image "x" { capability nope @ 0x40 { } }\n')).toMatch(/^img\.rules:1:24: error\[E110\]: no capability layout named `nope`[\s\S]*help: capability layouts: .*msi/);
  });

  it("refuses a capability outside 0x40..0xfc", () => {
    expect(fail('image "x" { capability pm @ 0x20 { } }\n')).toContain("error[E117]: capability `pm` needs a dword-aligned offset in 0x40..0xfc");
  });

  it("refuses a value that does not fit, and an unknown field", () => {
    const m = fail('image "x" { header type0 { command.bus_master = 2; command.nope = 1 } }\n');
    expect(m).toContain("error[E108]: value 0x2 does not fit field `bus_master` [2:2]");
    expect(m).toContain("error[E110]: register `command` has no field `nope`");
  });
});

describe("image guards", () => {
  it("a register guarded by another layout's field can be set once that layout is placed", () => {
    const c = compileRuleText(
      "img.rules",
      'image "rp" {\n  header type0 { vendor_id = 0x1af4 }\n  capability pcie @ 0x40 { flags.version = 2; flags.device_type = 4 }\n  extended aer @ 0x100 { root_command = 0x7 }\n}\n',
    );
    const built = buildImage(c.ruleSet.images.find((i) => i.name === "rp")!, c);
    expect(built.bytes[0x12c]).toBe(0x7);
  });
});
