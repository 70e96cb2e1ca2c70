// The docs verb: writes both files, refuses bad usage with its usage line,
// and the pages of every example and real device agree with their tables.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildDocs } from "../../src/docs/generate.js";
import { exampleDevices } from "../../src/open-device.js";
import { cli } from "../helpers/cli.js";
import { sharedDumps } from "../helpers/devices.js";
import { FIXTURE } from "./helpers.js";

describe("cfgvirt docs", () => {
  it("writes NAME.md and the site in DIR/html/, removing pages a previous run left", async () => {
    const out = mkdtempSync(join(tmpdir(), "cfgvirt-docs-"));
    mkdirSync(join(out, "html"));
    writeFileSync(join(out, "html", "lib-gone.html"), "stale");
    writeFileSync(join(out, "html", "notes.txt"), "kept");
    const r = await cli("docs", "--out", out, "--device", FIXTURE, "--name", "nic");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/wrote .*nic\.md \(\d+ bytes\)\nwrote .*html\/ \(3 files, \d+ bytes\)\n/);
    expect(readdirSync(join(out, "html")).sort()).toEqual(["dev1.html", "index.html", "notes.txt", "search.js"]);
    const html = readFileSync(join(out, "html", "dev1.html"), "utf8");
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).not.toMatch(/<link|<img|url\(["']?https?:|href="https?:/);
    expect(html.match(/<script[^>]*>/g)).toEqual([`<script src="search.js">`]);
    expect(readFileSync(join(out, "nic.md"), "utf8")).toContain("## <a id=\"dev1\"></a>Device test/docs/fixtures/policy-nic.rules");
  });

  it("has help, and rejects a missing --out or a positional argument", async () => {
    expect((await cli("docs", "--help")).out).toMatch(/^usage: cfgvirt docs --out DIR/);
    const noOut = await cli("docs");
    expect(noOut.code).toBe(2);
    expect(noOut.err).toContain("--out DIR is required");
    const positional = await cli("docs", "--out", "x", FIXTURE);
    expect(positional.code).toBe(2);
    expect(positional.err).toContain("devices are given with --device FILE");
  });

  it("is listed in the overview", async () => {
    const r = await cli("--help");
    expect(r.out).toMatch(/\n  docs +generate coverage documentation/);
    expect(r.out).toMatch(/\n  diff +show every bit/);
  });
});

describe("pages agree with the attached tables", () => {
  const inputs = [...exampleDevices(), FIXTURE, ...sharedDumps()];
  it.each(inputs.map((p) => [p.split("/").pop()!, p]))("%s", (_name, path) => {
    let set;
    try {
      set = buildDocs({ devices: [path] });
    } catch (e) {
      // Bridges are refused by openDevice: not a docs matter.
      expect(String(e)).toMatch(/A001/);
      return;
    }
    expect(set.devices[0].mismatches).toEqual([]);
  });
});
