// Command-line conventions: --version, quiet EPIPE, --json on every verb with
// output, exit statuses (0 ok, 1 differences/findings, 2 usage or input
// error), colour on a terminal unless NO_COLOR.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { run } from "../../src/cli/main.js";
import { colorFor } from "../../src/cli/style.js";
import { DEFAULT_EXAMPLE } from "../../src/open-device.js";
import { packageRoot } from "../../src/paths.js";
import { VirtualDevice } from "../../src/runtime/virtual-device.js";
import { cli } from "../helpers/cli.js";
import { CLI_JS } from "../helpers/dist.js";
import { tmpFile } from "./tmp.js";

const examples = join(packageRoot, "examples");

describe("--version and --help", () => {
  it("--version prints the package's version", async () => {
    const version = JSON.parse(readFileSync(join(packageRoot, "package.json"), "utf8")).version;
    for (const flag of ["--version", "-V"]) {
      const r = await cli(flag);
      expect(r.code).toBe(0);
      expect(r.out).toBe(`cfgvirt ${version}\n`);
    }
  });

  it("--help documents the exit statuses, --json, warnings and NO_COLOR", async () => {
    const r = await cli("--help");
    expect(r.out).toMatch(/exit status: 0 success; 1 differences or findings[\s\S]*2 usage or input error/);
    expect(r.out).toContain("--json");
    expect(r.out).toContain("--deny-warnings");
    expect(r.out).toContain("NO_COLOR");
  });
});

describe("EPIPE", () => {
  it("`cfgvirt compile --json | head` ends quietly with status 0", () => {
    const r = spawnSync("bash", ["-c", `node ${CLI_JS} compile --json | head -c 20 >/dev/null; echo "status \${PIPESTATUS[0]}" >&2`], {
      cwd: packageRoot,
      encoding: "utf8",
    });
    expect(r.stderr).toBe("status 0\n");
  }, 60_000);
});

describe("--json on every verb with output", () => {
  const parse = (r: { code: number; out: string }) => {
    expect(r.code).toBeLessThan(2);
    return JSON.parse(r.out);
  };
  it("view, compile, explain, export", async () => {
    expect(parse(await cli("view", "--json")).capabilities.length).toBeGreaterThan(3);
    expect(JSON.stringify(parse(await cli("compile", "--json")))).toContain('"msi"');
    const explain = parse(await cli("explain", "0x04", "--json"));
    expect(explain.layouts[0].fields.map((f: { field: string }) => f.field)).toContain("memory_space");
    expect(parse(await cli("export", "--json")).masks.virtRead).toHaveLength(1024);
  });

  it("diff, replay, docs, fuzz", async () => {
    const diff = parse(await cli("diff", join(examples, "nic.rules"), join(examples, "nvme.rules"), "--json"));
    expect(diff.bits).toBeGreaterThan(0);
    const replay = parse(await cli("replay", tmpFile("j.txt", "r 0 2\nCOMMAND.w\n"), "--json"));
    expect(replay.reads).toEqual([{ line: 1, offset: 0, size: 2, value: 0x8086 }, { line: 2, offset: 4, size: 2, value: expect.any(Number) }]);
    const docs = parse(await cli("docs", "--out", mkdtempSync(join(tmpdir(), "cfgvirt-docs-")), "--json"));
    const files = docs.files.map((f: { path: string }) => f.path.replace(/^.*?\/(?=(html\/)?[^/]+$)/, ""));
    expect(files.slice(0, 2)).toEqual(["rules.md", "html/index.html"]);
    expect(files).toContain("html/search.js");
    const fuzz = parse(await cli("fuzz", "--runs", "20", "--seed", "3", "--json"));
    expect(fuzz).toMatchObject({ seed: 3, runs: 20, agree: true, failure: null });
  });
});

describe("exit statuses", () => {
  afterEach(() => vi.restoreAllMocks());

  it("diff: 0 when nothing differs, 1 when something does, 2 on an input error", async () => {
    expect((await cli("diff", DEFAULT_EXAMPLE, DEFAULT_EXAMPLE)).code).toBe(0);
    expect((await cli("diff", join(examples, "nic.rules"), join(examples, "nvme.rules"))).code).toBe(1);
    expect((await cli("diff", "/nonexistent/a.lspci", DEFAULT_EXAMPLE)).code).toBe(2);
  });

  it("every verb accepts --deny-warnings", async () => {
    expect((await cli("diff", DEFAULT_EXAMPLE, DEFAULT_EXAMPLE, "--deny-warnings")).code).toBe(0);
    expect((await cli("docs", "--out", mkdtempSync(join(tmpdir(), "cfgvirt-docs-")), "--deny-warnings")).code).toBe(0);
    for (const verb of ["view", "explain", "export", "compile"]) expect((await cli(verb, "--deny-warnings")).code, verb).toBe(0);
    expect((await cli("fuzz", "--runs", "5", "--seed", "1", "--deny-warnings")).code).toBe(0);
    expect((await cli("replay", tmpFile("dw.txt", "r 0 2\n"), "--deny-warnings")).code).toBe(0);
  });

  it("--rules DIR reads every .rules file below DIR instead of failing with a raw EISDIR", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cfgvirt-rulesdir-"));
    const { writeFileSync } = await import("node:fs");
    writeFileSync(join(dir, "mine.rules"), `device "mine" match 8086:10d3 {\n  hide msi\n}\n`);
    const r = await cli("explain", "--rules", dir, "--json");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).policy).toBe("mine");
  });

  // A planted fault in the table runtime: reads of Interrupt Line come back inverted.
  const plantFault = () => {
    const read = VirtualDevice.prototype.read;
    vi.spyOn(VirtualDevice.prototype, "read").mockImplementation(function (this: VirtualDevice, offset: number, size: number) {
      const v = read.call(this, offset, size);
      return offset === 0x3c && size === 1 ? v ^ 0xff : v;
    });
  };

  it("fuzz: 1 when the table runtime and the reference disagree", async () => {
    plantFault();
    const r = await cli("fuzz", "--runs", "200", "--seed", "5");
    expect(r.code).toBe(1);
    expect(r.out).toContain("DISAGREEMENT");
  });

  it("replay --check: 1 at the first disagreement, naming its line", async () => {
    plantFault();
    const script = tmpFile("check.txt", "r 0x00 2\nINTERRUPT_LINE\nr 0x04 2\n");
    const r = await cli("replay", script, "--check");
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/check: DISAGREEMENT at .*check\.txt:2 \(r 0x3c 1\)/);
    expect(r.out).not.toContain("r 0x04 2 =");
    vi.restoreAllMocks();
    expect((await cli("replay", script, "--check")).code).toBe(0);
  });
});

describe("colour", () => {
  it("on a terminal unless NO_COLOR is set; never into a pipe", () => {
    expect(colorFor({ isTTY: true }, {})).toBe(true);
    expect(colorFor({ isTTY: true }, { NO_COLOR: "1" })).toBe(false);
    expect(colorFor({ isTTY: false }, {})).toBe(false);
    expect(colorFor({ isTTY: false }, { FORCE_COLOR: "1" })).toBe(true);
  });

  it("errors are red and warnings yellow when colour is on, plain when off", async () => {
    const runWith = async (color: boolean, ...argv: string[]) => {
      let err = "";
      await run(argv, { out: () => {}, err: (t) => (err += t), color });
      return err;
    };
    const rules = tmpFile("nomatch.rules", `device "x" match 1234:5678 {\n  hide msi\n}\n`);
    expect(await runWith(true, "view", "--rules", rules)).toContain("\x1b[33mwarning[W001]\x1b[39m");
    expect(await runWith(true, "view", "--device", "/nonexistent")).toContain("\x1b[31m");
    const plain = await runWith(false, "view", "--rules", rules);
    expect(plain).toContain("warning[W001]");
    expect(plain).not.toContain("\x1b[");
  });

  it("the installed entry point honours NO_COLOR and FORCE_COLOR", () => {
    const go = (env: Record<string, string>) =>
      spawnSync(process.execPath, [CLI_JS, "view", "--device", "/nonexistent"], { cwd: packageRoot, encoding: "utf8", env: { ...process.env, ...env } }).stderr;
    expect(go({ FORCE_COLOR: "1" })).toContain("\x1b[31m");
    expect(go({ FORCE_COLOR: "1", NO_COLOR: "1" })).not.toContain("\x1b[");
  }, 60_000);
});
