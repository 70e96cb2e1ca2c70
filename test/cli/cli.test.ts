import { describe, expect, it } from "vitest";
import { commands } from "../../src/cli/main.js";
import { cli } from "../helpers/cli.js";

describe("command line", () => {
  it.each(commands.map((c) => [c.name]))("%s --help prints its usage and exits 0", async (name) => {
    const r = await cli(name, "--help");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(new RegExp(`^usage: cfgvirt ${name}`));
  });

  it("no verb prints the overview and exits 2; --help exits 0", async () => {
    const none = await cli();
    expect(none.code).toBe(2);
    for (const c of commands) expect(none.out).toContain(c.name);
    expect((await cli("--help")).code).toBe(0);
  });

  it("an unknown verb or option is a usage error with exit status 2", async () => {
    const r = await cli("frobnicate");
    expect(r.code).toBe(2);
    expect(r.err).toContain("unknown verb 'frobnicate'");
    const o = await cli("view", "--nonsense");
    expect(o.code).toBe(2);
    expect(o.err).toMatch(/Unknown option '--nonsense'[\s\S]*usage: cfgvirt view/);
  });

  it("a missing input file is an input error with exit status 2", async () => {
    const r = await cli("view", "--device", "/nonexistent/dump.lspci");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/no such file/i);
  });

  it("view --format json names shown and hidden capabilities", async () => {
    const r = await cli("view", "--format", "json");
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.capabilities.map((c: { name: string }) => c.name)).toEqual(expect.arrayContaining(["type0", "pm", "msi", "msix"]));
    expect(j.config).toHaveLength(j.size * 2);
  });
});

describe("binary config files", () => {
  it("view reads a raw sysfs-style config file as it reads a dump", async () => {
    const { mkdtempSync, writeFileSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const { readDeviceSource } = await import("../../src/open-device.js");
    const dir = mkdtempSync(join(tmpdir(), "cfgvirt-bin-"));
    const file = join(dir, "config");
    writeFileSync(file, readDeviceSource("examples/nvme.rules").bytes.subarray(0, 256));
    const fromBinary = await cli("view", "--device", file);
    expect(fromBinary.code).toBe(0);
    const rows = (t: string) => t.split("\n").slice(1).join("\n");
    const fromImage = await cli("view", "--device", "examples/nvme.rules");
    expect(rows(fromBinary.out)).toBe(rows(fromImage.out).split("\n").slice(0, 16).join("\n") + "\n");
  });
});
