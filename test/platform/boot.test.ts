// `cfgvirt boot`: a Linux-like bring-up of the example and of every Type 0
// dump in ../shared/devices succeeds, and lspci -F decodes the final views.
import { describe, expect, it } from "vitest";
import { run } from "../../src/cli/main.js";
import { dumpHeaderType, haveSharedDevices, sharedDumps } from "../helpers/devices.js";
import { decode, haveLspci } from "../helpers/lspci.js";

interface Report {
  ok: boolean;
  steps: { device: string; step: string; ok: boolean; detail: string }[];
  log: string[];
  devices: { bdf: string; name: string; lspci: string }[];
  interrupts: { deliveries: number[]; redirections: number };
  deviceModelLog: string[];
}

async function boot(argv: string[]): Promise<{ status: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const status = await run(["boot", ...argv], { out: (t) => void (out += t), err: (t) => void (err += t) });
  return { status, out, err };
}

const STEPS = ["size and assign BARs", "enable device", "interrupt", "DMA", "BAR registers", "D3hot and back", "FLR", "hot-unplug"];

describe("cfgvirt boot", { timeout: 120_000 }, () => {
  it("boots the built-in example: every step ok, the interrupt on the chosen vCPU, no redirection", async () => {
    const r = await boot(["--json"]);
    expect(r.status).toBe(0);
    const report = JSON.parse(r.out) as Report;
    expect(report.ok).toBe(true);
    expect(report.steps.filter((s) => s.device !== "0000:00").map((s) => s.step)).toEqual(STEPS);
    expect(report.steps.find((s) => s.step === "interrupt")?.detail).toBe("msix vector 0x41 on vCPU 1, 0 redirections");
    expect(report.interrupts).toEqual({ deliveries: [0, 1, 0, 0], redirections: 0 });
    expect(report.devices).toHaveLength(1);
    if (haveLspci) {
      const d = decode(report.devices[0].lspci, { names: true });
      expect(d.stderr).toBe("");
      expect(d.text).toMatch(/^01:00\.0 Ethernet controller/);
      expect(d.text).toContain("Region 0: Memory at 80000000 (32-bit, non-prefetchable)");
      expect(d.text).toContain("MSI-X: Enable+");
    }
  });

  it("prints the boot log, the steps and the final view in text mode; the view decodes", async () => {
    const r = await boot([]);
    expect(r.status).toBe(0);
    expect(r.out).toContain("[guest] pci 0000:01:00.0: [8086:10d3] type 00 class 0x020000");
    expect(r.out).toMatch(/^ok {3}0000:01:00\.0 hot-unplug: /m);
    const view = r.out.slice(r.out.search(/^01:00\.0 /m));
    if (haveLspci) expect(decode(view, { names: true }).text).toMatch(/^01:00\.0 Ethernet controller/);
  });

  it("rejects a bad --vcpus (a usage error: exit 2)", async () => {
    const r = await boot(["--vcpus", "0"]);
    expect(r.status).toBe(2);
    expect(r.err).toContain("--vcpus must be 1..255");
  });

  it.skipIf(!haveSharedDevices)("fails (exit 1) when a device cannot be assigned: a bridge", async () => {
    const bridge = sharedDumps().find((p) => dumpHeaderType(p) === 1)!;
    const r = await boot(["--device", bridge, "--json"]);
    expect(r.status).toBe(1);
    expect((JSON.parse(r.out) as Report).steps[0]).toMatchObject({ step: "assign", ok: false });
  });

  for (const path of sharedDumps().filter((p) => dumpHeaderType(p) === 0)) {
    const name = path.replace(/^.*\//, "");
    it(`boots ${name}: every step ok, zero redirections, and lspci -F decodes the final view`, async () => {
      const r = await boot(["--device", path, "--json", "--vcpus", "4"]);
      const report = JSON.parse(r.out) as Report;
      expect(report.steps.filter((s) => !s.ok)).toEqual([]);
      expect(r.status).toBe(0);
      expect(report.interrupts.redirections).toBe(0);
      expect(report.devices).toHaveLength(1);
      if (haveLspci) {
        const d = decode(report.devices[0].lspci);
        expect(d.stderr).toBe("");
        expect(d.text).toMatch(/^01:00\.0 /);
        expect(d.text).toMatch(/Control: .*BusMaster\+/);
      }
    });
  }
});
