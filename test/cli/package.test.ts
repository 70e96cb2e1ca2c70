// The installed package: `npm pack`, install the tarball into a temporary
// prefix as a user would (`npm install -g --prefix P`, dependencies from the
// registry), then run every verb from an unrelated directory.
import { execFile, execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commands } from "../../src/cli/main.js";
import { packageRoot } from "../../src/paths.js";
import { decode, haveLspci } from "../helpers/lspci.js";
import { npmPack } from "../helpers/pack.js";

const work = mkdtempSync(join(tmpdir(), "cfgvirt-pkg-"));
const prefix = join(work, "prefix");
const elsewhere = mkdtempSync(join(tmpdir(), "cfgvirt-elsewhere-"));
let tarball = "";
let files: string[] = [];
let installError = "";

beforeAll(() => {
  const packed = npmPack(work);
  tarball = join(work, packed[0].filename);
  files = packed[0].files.map((f) => f.path);
  const r = spawnSync("npm", ["install", "-g", "--prefix", prefix, "--no-audit", "--no-fund", tarball], { cwd: elsewhere, encoding: "utf8" });
  if (r.status !== 0) installError = r.stderr;
}, 300_000);

// The installed prefix is ~17 MB a run: leave nothing behind.
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(elsewhere, { recursive: true, force: true });
});

const bin = () => join(prefix, "bin", "cfgvirt");
function cfgvirt(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(bin(), args, { cwd: elsewhere, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
/** The same, not waiting: independent runs go side by side (each is a process of its own). */
function cfgvirtAsync(...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(bin(), args, { cwd: elsewhere, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" }, maxBuffer: 1 << 26 }, (e, out, err) => {
      const code = e === null ? 0 : typeof e.code === "number" ? e.code : null;
      resolve({ code, out, err });
    });
  });
}

describe("the packed tarball", () => {
  it("holds dist, grammar, rules, examples, README and LICENSE, and no tests, sources or CI files", () => {
    expect(files).toContain("LICENSE");
    expect(files).toContain("README.md");
    expect(files).toContain("package.json");
    expect(files).toContain("grammar/cfgvirt.ohm");
    expect(files).toContain("dist/src/cli.js");
    expect(files).toContain("dist/src/index.d.ts");
    expect(files).toContain("dist/src/platform/index.d.ts");
    expect(files).toContain("dist/src/fuzz/index.d.ts");
    expect(files.some((f) => f.startsWith("rules/"))).toBe(true);
    expect(files.some((f) => f.startsWith("examples/"))).toBe(true);
    const stray = files.filter((f) => !/^(dist\/src\/|grammar\/|rules\/|examples\/|README\.md$|LICENSE$|package\.json$)/.test(f));
    expect(stray).toEqual([]);
    expect(files.some((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))).toBe(false);
  });

  it("lists as runtime dependencies every package the built code imports", () => {
    const pkg = JSON.parse(readFileSync(join(packageRoot, "package.json"), "utf8")) as { dependencies: Record<string, string> };
    const imported = new Set<string>();
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (p.endsWith(".js")) for (const m of readFileSync(p, "utf8").matchAll(/^\s*(?:import|export)\b[^"\n]*from "([^".][^"]*)"|import\("([^".][^"]*)"\)|\brequire\w*\("([^".][^"]*)"\)/gm)) {
          // Packages required on first use (createRequire) count as imports too.
          const spec = m[1] ?? m[2] ?? m[3];
          if (!spec.startsWith("node:")) imported.add(spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]);
        }
      }
    };
    walk(join(prefix, "lib", "node_modules", "cfgvirt", "dist", "src"));
    expect(imported).toContain("ohm-js");
    expect(imported).toContain("zod");
    expect(imported).toContain("fast-check");
    for (const name of imported) expect(Object.keys(pkg.dependencies), name).toContain(name);
  });
});

describe("the installed package, run from an unrelated directory", () => {
  it("installs", () => {
    expect(installError).toBe("");
    expect(existsSync(bin())).toBe(true);
  });

  it("--help lists every verb and --version prints the package's version", () => {
    const h = cfgvirt("--help");
    expect(h.code).toBe(0);
    for (const c of commands) expect(h.out).toContain(c.name);
    const v = cfgvirt("--version");
    expect(v.out.trim()).toBe(`cfgvirt ${JSON.parse(readFileSync(join(packageRoot, "package.json"), "utf8")).version}`);
  });

  it.concurrent.each(commands.map((c) => [c.name]))("%s --help", async (name) => {
    const r = await cfgvirtAsync(name, "--help");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(new RegExp(`^usage: cfgvirt ${name}`));
  });

  it("view prints a dump lspci decodes", () => {
    const r = cfgvirt("view");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^00: 86 80 d3 10/m);
    if (haveLspci) expect(decode(r.out).capabilities.map((c) => c.name)).toEqual(expect.arrayContaining([expect.stringMatching(/^MSI-X/)]));
  });

  it("view and fuzz of a dump, and view and boot of the default example, start from what the build saved: ohm-js never loads, zod only for a user's compiled JSON (issue 13)", async () => {
    const dump = join(elsewhere, "nic.lspci");
    writeFileSync(dump, cfgvirt("view").out);
    const json = join(elsewhere, "all.json");
    writeFileSync(json, cfgvirt("compile", "--json").out);
    // A module hook that lists every module the process loads.
    const hooks = join(elsewhere, "hooks.mjs");
    writeFileSync(hooks, `export async function load(url, context, next) { process.stderr.write("LOADED " + url + "\\n"); return next(url, context); }\n`);
    const register = join(elsewhere, "register.mjs");
    writeFileSync(register, `import { register } from "node:module"; register(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
    const cli = join(prefix, "lib", "node_modules", "cfgvirt", "dist", "src", "cli.js");
    // ES modules through the hook; CommonJS ones (required on first use) as NODE_DEBUG=module reports them.
    // The runs are independent processes: side by side.
    const run = (...args: string[]) =>
      new Promise<{ failed: boolean; err: string }>((resolve) => {
        execFile(process.execPath, ["--import", register, cli, ...args], { cwd: elsewhere, encoding: "utf8", env: { ...process.env, NODE_DEBUG: "module" }, maxBuffer: 1 << 26 }, (e, _out, err) => resolve({ failed: e !== null, err }));
      });
    const runs = await Promise.all([run("view", "--device", dump), run("view", "--device", dump, "--rules", json), run("fuzz", "--device", dump, "--runs", "5"), run("view"), run("boot")]);
    const [view, fromJson, fuzz, viewExample, bootExample] = runs.map(({ failed, err }) => {
      expect(failed, err).toBe(false);
      return err.split("\n").flatMap((l) => (l.startsWith("LOADED ") ? [l.slice(7)] : [...l.matchAll(/^MODULE \d+: load "([^"]+)"/g)].map((m) => m[1])));
    });
    expect(view.some((u) => u.endsWith("/dist/src/open-device.js"))).toBe(true);
    expect(view.filter((u) => /\/node_modules\/(ohm-js|zod|jsonc-parser|fast-check)\//.test(u))).toEqual([]);
    // Compiled JSON from the user is validated: zod loads then, ohm-js still not.
    expect(fromJson.some((u) => u.includes("/node_modules/zod/"))).toBe(true);
    expect(fromJson.filter((u) => u.includes("/node_modules/ohm-js/"))).toEqual([]);
    // Fuzzing a dump needs the library's syntax trees (the reference interpreter): the build saved them, so ohm-js does not load either.
    expect(fuzz.some((u) => u.endsWith("/dist/src/syntax/syntax-cache.js"))).toBe(true);
    expect(fuzz.filter((u) => u.includes("/node_modules/ohm-js/"))).toEqual([]);
    // The default example (examples/nic.rules; boot's root ports and host bridge from examples/platform/) is a rule file
    // compiled with the library: the build saved the examples' trees too, so nothing is parsed.
    for (const example of [viewExample, bootExample]) {
      expect(example.some((u) => u.endsWith("/dist/src/syntax/syntax-cache.js"))).toBe(true);
      expect(example.filter((u) => u.includes("/node_modules/ohm-js/"))).toEqual([]);
    }
  });

  it("compile, explain, export, replay, diff, docs and fuzz work", async () => {
    const script = join(elsewhere, "s.txt");
    writeFileSync(script, "COMMAND.w\nr 0x00 2\n");
    const nvme = join(prefix, "lib", "node_modules", "cfgvirt", "examples", "nvme.rules");
    const [compile, explain, exported, replay, diff, docs, fuzz] = await Promise.all([
      cfgvirtAsync("compile"),
      cfgvirtAsync("explain", "0x04"),
      cfgvirtAsync("export", "--format", "json"),
      cfgvirtAsync("replay", script, "--check"),
      cfgvirtAsync("diff", join(prefix, "lib", "node_modules", "cfgvirt", "examples", "nic.rules"), nvme),
      cfgvirtAsync("docs", "--out", join(elsewhere, "site")),
      cfgvirtAsync("fuzz", "--runs", "50", "--seed", "1"),
    ]);
    expect(compile.code).toBe(0);
    expect(compile.out).toMatch(/^capability +msi +id 0x05/m);

    expect(explain.code).toBe(0);
    expect(explain.out).toMatch(/0x004 command u16/);

    expect(exported.code).toBe(0);
    expect(JSON.parse(exported.out).masks.hwRead).toHaveLength(1024);

    expect(replay.code).toBe(0);
    expect(replay.out).toMatch(/^r 0x00 2 = 0x8086$/m);
    expect(replay.out).toMatch(/agree/);

    expect(diff.code).toBe(1);
    expect(diff.out.length).toBeGreaterThan(0);

    expect(docs.code).toBe(0);
    expect(readFileSync(join(elsewhere, "site", "html", "index.html"), "utf8")).toMatch(/^<!DOCTYPE html>/);

    expect(fuzz.code).toBe(0);
    expect(fuzz.out).toMatch(/agree/);
  }, 120_000);

  it("the library, the platform and the fuzz harness import, with type declarations", () => {
    const lib = join(prefix, "lib", "node_modules");
    writeFileSync(join(elsewhere, "package.json"), JSON.stringify({ type: "module" }));
    const probe = join(elsewhere, "probe.mjs");
    writeFileSync(probe, [
      `import * as lib from "cfgvirt"; import * as platform from "cfgvirt/platform"; import * as fuzz from "cfgvirt/fuzz";`,
      `const pair = fuzz.openPair(lib.exampleDevices()[0]);`,
      `console.log(typeof lib.compileRules, typeof platform.Machine, typeof fuzz.runCampaign, fuzz.runPair(pair, [{ kind: "r", offset: 0, size: 4 }]) === undefined);`,
    ].join("\n"));
    const r = spawnSync(process.execPath, [probe], { cwd: elsewhere, encoding: "utf8", env: { ...process.env, NODE_PATH: lib } });
    // ESM ignores NODE_PATH: link the installed package where Node looks for it.
    if (r.status !== 0) {
      execFileSync("mkdir", ["-p", join(elsewhere, "node_modules")]);
      execFileSync("ln", ["-sfn", join(lib, "cfgvirt"), join(elsewhere, "node_modules", "cfgvirt")]);
    }
    const again = spawnSync(process.execPath, [probe], { cwd: elsewhere, encoding: "utf8" });
    expect(again.stderr).toBe("");
    expect(again.stdout.trim()).toBe("function function function true");
    for (const sub of ["dist/src/index.d.ts", "dist/src/platform/index.d.ts", "dist/src/fuzz/index.d.ts"]) expect(existsSync(join(lib, "cfgvirt", sub)), sub).toBe(true);

    // A TypeScript consumer resolves the three entry points' types through `exports`.
    writeFileSync(join(elsewhere, "consumer.ts"), [
      `import { compileRules, type DeviceTables } from "cfgvirt";`,
      `import { Machine } from "cfgvirt/platform";`,
      `import { runCampaign, type CampaignResult } from "cfgvirt/fuzz";`,
      `const n: number = compileRules().templates.length;`,
      `const t: DeviceTables | undefined = undefined;`,
      `const r: ((...a: Parameters<typeof runCampaign>) => CampaignResult) = runCampaign;`,
      `export const used = [n, t, r, Machine];`,
    ].join("\n"));
    // Every declaration file is checked (skipLibCheck off): ours and those of the
    // packages they import; TypeScript's own lib files are not ours to check.
    writeFileSync(join(elsewhere, "tsconfig.json"), JSON.stringify({ compilerOptions: { module: "NodeNext", moduleResolution: "NodeNext", strict: true, noEmit: true, types: [], skipLibCheck: false, skipDefaultLibCheck: true }, files: ["consumer.ts"] }));
    const tsc = spawnSync(process.execPath, [join(packageRoot, "node_modules", "typescript", "bin", "tsc"), "-p", elsewhere], { cwd: elsewhere, encoding: "utf8" });
    expect(tsc.stdout + tsc.stderr).toBe("");
    expect(tsc.status).toBe(0);
  }, 60_000);
});
