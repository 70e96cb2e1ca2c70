// replay reads setpci commands and QEMU vfio trace lines as well as its own
// syntax; --check (or a script that asks for it) runs the reference beside the tables.
import { afterEach, describe, expect, it, vi } from "vitest";
import { CfgvirtError } from "../../src/diag/diagnostic.js";
import { parseReplayScript } from "../../src/runtime/script.js";
import { VirtualDevice } from "../../src/runtime/virtual-device.js";
import { cli } from "../helpers/cli.js";
import { haveSharedDevices, sharedDevicesDir } from "../helpers/devices.js";
import { tmpFile } from "./tmp.js";

const NVME = "examples/nvme.rules"; // pm@0x40 msi@0x50 pcie@0x70 msix@0xb0
const locate = (kind: "capability" | "extended", id: number) => (kind === "capability" ? { 0x10: 0x70, 0x05: 0x50 }[id] : { 0x01: 0x100 }[id]);

describe("setpci syntax", () => {
  it("parses names, hex offsets, capability-relative registers, widths, values, masks and value lists", () => {
    const s = parseReplayScript("s", [
      "COMMAND.w=0",
      "0x04.w=0x0547",
      "04.b",
      "CAP_EXP+8.w",
      "CAP_MSI+2.w",
      "ECAP_AER+4.l",
      "COMMAND",
      "setpci -s 01:00.0 -v STATUS BASE_ADDRESS_0=ffffffff",
      "COMMAND=0400:0400",
      "0x3c.b=1,2",
    ].join("\n"), locate);
    expect(s.check).toBe(false);
    expect(s.accesses.map((a) => ({ ...a, line: undefined }))).toEqual([
      { kind: "w", offset: 0x04, size: 2, value: 0 },
      { kind: "w", offset: 0x04, size: 2, value: 0x0547 },
      { kind: "r", offset: 0x04, size: 1 },
      { kind: "r", offset: 0x78, size: 2 },
      { kind: "r", offset: 0x52, size: 2 },
      { kind: "r", offset: 0x104, size: 4 },
      { kind: "r", offset: 0x04, size: 2 },
      { kind: "r", offset: 0x06, size: 2 },
      { kind: "w", offset: 0x10, size: 4, value: 0xffffffff },
      { kind: "w", offset: 0x04, size: 2, value: 0x0400, mask: 0x0400 },
      { kind: "w", offset: 0x3c, size: 1, value: 1 },
      { kind: "w", offset: 0x3d, size: 1, value: 2 },
    ].map((a) => ({ ...a, line: undefined })));
  });

  it("names the line and column of a capability the device lacks, an unknown register, a missing width", () => {
    try {
      parseReplayScript("bad.txt", "r 0 2\nCAP_VPD+2.w\nFROB.w\n0x40=1\n", locate);
      expect.unreachable();
    } catch (e) {
      const text = (e as CfgvirtError).message;
      expect(text).toContain("bad.txt:2:1: error[S009]: the device has no capability `CAP_VPD` (ID 0x3)");
      expect(text).toContain("bad.txt:3:1: error[S009]: `FROB` is not a register setpci knows");
      expect(text).toContain("bad.txt:4:1: error[S010]: `0x40=1` needs a width: .b, .w or .l");
    }
  });

  it("replays as the same accesses in our own syntax", async () => {
    const setpci = await cli("replay", "--device", NVME, tmpFile("setpci.txt", "COMMAND.w=0x0006\nCOMMAND.w\nCAP_EXP+8.w=0x2810\nCAP_EXP+8.w\nCAP_MSI+2.w\n"), "--host");
    const own = await cli("replay", "--device", NVME, tmpFile("own.txt", "w 0x04 2 0x0006\nr 0x04 2\nw 0x78 2 0x2810\nr 0x78 2\nr 0x52 2\n"), "--host");
    expect(setpci.code).toBe(0);
    expect(setpci.out).toBe(own.out);
    expect(setpci.out).toMatch(/^r 0x78 2 = 0x[0-9a-f]{4}$/m);
  });

  it("VALUE:MASK changes only the masked bits, as setpci does", async () => {
    const r = await cli("replay", "--device", NVME, tmpFile("mask.txt", "COMMAND.w=0x0006\nCOMMAND.w=0xffff:0x0400\nCOMMAND.w\n"));
    expect(r.out.trim()).toBe("r 0x04 2 = 0x0406");
  });

  it.skipIf(!haveSharedDevices)("ECAP_ names resolve against the device's extended chain", async () => {
    const dump = `${sharedDevicesDir}/intel-82576-nic.lspci`;
    const a = await cli("replay", "--device", dump, tmpFile("aer.txt", "ECAP_AER+4.l\nECAP_AER.l\n"));
    const b = await cli("replay", "--device", dump, tmpFile("aer-own.txt", "r 0x104 4\nr 0x100 4\n"));
    expect(a.code).toBe(0);
    expect(a.out).toBe(b.out);
  });
});

describe("QEMU vfio trace lines", () => {
  const trace = [
    "12345@1700000000.000001:vfio_pci_read_config  (0000:01:00.0, @0x0, len=0x2) 0x8086",
    "vfio_pci_write_config  (0000:01:00.0, @0x4, 0x6, len=0x2)",
    "vfio_pci_read_config (0000:01:00.0, @0x4, len=0x2) 0x6",
    "vfio_pci_write_config(0000:01:00.0, @0x3c, 0xb, 0x1B)",
    "vfio_pci_read_config (0000:01:00.0, @0x3c, len=0x1) 0xb",
    "12345@1700000000.000002:vfio_region_read (0000:01:00.0:region0+0x8, 4) = 0x0",
  ].join("\n");

  it("reads and writes become accesses; other trace lines are ignored", () => {
    expect(parseReplayScript("t", trace, locate).accesses.map((a) => ({ ...a, line: 0 }))).toEqual([
      { kind: "r", offset: 0, size: 2, line: 0 },
      { kind: "w", offset: 4, size: 2, value: 6, line: 0 },
      { kind: "r", offset: 4, size: 2, line: 0 },
      { kind: "w", offset: 0x3c, size: 1, value: 0xb, line: 0 },
      { kind: "r", offset: 0x3c, size: 1, line: 0 },
    ]);
  });

  it("replays a trace as the same accesses in our own syntax", async () => {
    const own = await cli("replay", "--device", NVME, tmpFile("own2.txt", "r 0 2\nw 4 2 6\nr 4 2\nw 0x3c 1 0xb\nr 0x3c 1\n"));
    const fromTrace = await cli("replay", "--device", NVME, tmpFile("trace.txt", trace));
    expect(fromTrace.code).toBe(0);
    expect(fromTrace.out).toBe(own.out);
    expect(fromTrace.out).toContain("r 0x3c 1 = 0x0b");
  });

  it("a long trace parses in linear time", () => {
    const lines = Array.from({ length: 50000 }, (_, i) => (i % 3 === 0 ? "r 0x04 2" : i % 3 === 1 ? "vfio_pci_read_config (x, @0x0, len=0x4) 0x0" : "COMMAND.w"));
    const started = performance.now();
    expect(parseReplayScript("long", lines.join("\n"), locate).accesses).toHaveLength(50000);
    expect(performance.now() - started).toBeLessThan(3000);
  });

  it("a malformed vfio line is an error at its position", () => {
    expect(() => parseReplayScript("t", "vfio_pci_read_config (x, @zz)", locate)).toThrow(/t:1:1: error\[S007\]/);
  });
});

describe("--check and fuzz counterexamples", () => {
  afterEach(() => vi.restoreAllMocks());
  const plantFault = () => {
    const read = VirtualDevice.prototype.read;
    vi.spyOn(VirtualDevice.prototype, "read").mockImplementation(function (this: VirtualDevice, offset: number, size: number) {
      const v = read.call(this, offset, size);
      return offset === 0x3c && size === 1 ? v ^ 0xff : v;
    });
  };

  it("--check agrees on a healthy device and says so", async () => {
    const r = await cli("replay", "--device", NVME, tmpFile("ok.txt", "w 0x3c 1 0x0b\nr 0x3c 1\nCAP_EXP+8.w=0x2810\n"), "--check");
    expect(r.code).toBe(0);
    expect(r.out).toContain("check: the table runtime and the reference agree on all 3 accesses");
  });

  it("a fuzz counterexample script is checked without --check", async () => {
    plantFault();
    const script = tmpFile("cex.txt", "# cfgvirt fuzz counterexample: examples/nvme.rules, seed 1, path 0\n# r 0x3c 1: ...\nw 0x3c 1 0x0b\nr 0x3c 1\n");
    const r = await cli("replay", "--device", NVME, script);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/check: DISAGREEMENT at .*cex\.txt:4 \(r 0x3c 1\): read 0xf4 from the tables, 0x0b from the reference/);
  });
});

describe("malformed replay scripts", () => {
  // Tokens of all three syntaxes, glued at random: the parser answers with
  // accesses in range, or with diagnostics that each name a line and column.
  const TOKENS = ["r", "w", "0x04", "2", "4", "3", "0x1000", "0xffffffff", "#", "COMMAND", ".w", ".l", ".x", "=", "0547", ":", ",", "+8", "-80", "CAP_EXP", "CAP_MSI", "ECAP_AER", "CAP_ZZ",
    "setpci", "-s", "01:00.0", "vfio_pci_read_config", "vfio_pci_write_config", "(0000:01:00.0,", "@0x4,", "len=0x2)", "0x2B)", "0x6", "(", ")", "-"];
  it("parse to in-range accesses, or fail naming the line and column", async () => {
    const fc = (await import("fast-check")).default;
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constantFrom(...TOKENS), fc.constantFrom(" ", "\n", "")), { maxLength: 40 }).map((t) => t.join("")), (text) => {
        try {
          for (const a of parseReplayScript("random.txt", text, locate).accesses) {
            expect(a.offset >= 0 && a.offset <= 0xfff && [1, 2, 4].includes(a.size)).toBe(true);
            if (a.kind === "w") expect(a.value >= 0 && a.value < 2 ** (a.size * 8)).toBe(true);
          }
        } catch (e) {
          if (!(e instanceof CfgvirtError)) throw e;
          for (const d of e.diagnostics) expect(d.span, d.message).toBeDefined();
          expect(e.message).toMatch(/^random\.txt:\d+:\d+: error\[S\d{3}\]: /);
        }
      }),
      { seed: 0x5e7, numRuns: 2000 },
    );
  });
});
