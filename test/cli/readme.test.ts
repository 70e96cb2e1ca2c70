// Every example in README.md runs: each rule snippet compiles, each cfgvirt
// command line runs (on example files standing in for the placeholders) and
// exits as documented. A new example the test cannot place fails it.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { commands } from "../../src/cli/main.js";
import { compileRules, standardRuleFiles } from "../../src/compile/pipeline.js";
import { packageRoot } from "../../src/paths.js";
import { cli } from "../helpers/cli.js";

const readme = readFileSync(join(packageRoot, "README.md"), "utf8");
const blocks = [...readme.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1], text: m[2] }));
const ruleBlocks = blocks.filter((b) => b.lang === "" && /^(capability|extended|header|device) /m.test(b.text));
const shellLines = blocks.filter((b) => b.lang === "sh").flatMap((b) => b.text.split("\n")).map((l) => l.replace(/\s+#.*$/, "").trim()).filter(Boolean);
const dir = mkdtempSync(join(tmpdir(), "cfgvirt-readme-"));

// The project's own npm scripts; `npm start` is `cfgvirt boot`, run below as such.
const NPM_LINES = ["npm ci && npm start", "npm test", "npm run bench", "npm run guest"];

describe("README examples", () => {
  it("has rule snippets and command lines to run", () => {
    expect(ruleBlocks.length).toBeGreaterThan(0);
    expect(shellLines.filter((l) => l.startsWith("cfgvirt ")).length).toBeGreaterThan(5);
    for (const l of shellLines) expect(l.startsWith("cfgvirt ") || NPM_LINES.includes(l), `unplaced README command: ${l}`).toBe(true);
  });

  it.each(ruleBlocks.map((b, i) => [i, b.text]))("rule snippet %i compiles (a layout it defines replaces the standard library's)", (i, text) => {
    const file = join(dir, `snippet-${i}.rules`);
    writeFileSync(file, text);
    const replaced = [...text.matchAll(/^(?:capability|extended|header) (\w+)/gm)].map((m) => m[1]);
    const std = standardRuleFiles().filter((f) => !replaced.some((name) => readFileSync(f, "utf8").match(new RegExp(`^(?:capability|extended|header) ${name} `, "m"))));
    const compiled = compileRules([...std, file], { standard: false });
    for (const name of replaced) expect(compiled.templatesByName.get(name)?.source.path).toContain(`snippet-${i}.rules`);
    for (const m of text.matchAll(/^device "([^"]+)"/gm)) expect(compiled.devices.map((d) => d.name)).toContain(m[1]);
  });

  it("every cfgvirt command runs", async () => {
    // Placeholders: a real-looking dump (the example NIC's guest view), a second
    // device, a script in each replay syntax, the README's own device file.
    const nic = (await cli("view")).out;
    const nvme = (await cli("view", "--device", join(packageRoot, "examples", "nvme.rules"))).out;
    const device = ruleBlocks.map((b) => b.text).find((t) => /^device /m.test(t))!;
    const files: Record<string, string> = {
      "dump.lspci": nic,
      "a.lspci": nic,
      "b.lspci": nvme,
      "script.txt": "r 0x00 4\nw 0x04 2 0x0006\nr 0x04 2\n",
      "setpci.txt": "COMMAND.w=0x0006\nCOMMAND.w\nCAP_MSI+2.w\nvfio_pci_read_config (0000:01:00.0, @0x0, len=0x2) 0x8086\n",
      "my-device.rules": device.slice(device.search(/^device /m)),
    };
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
    const lines = shellLines.filter((l) => l.startsWith("cfgvirt ")).flatMap((l) => (l.includes("VERB") ? commands.map((c) => l.replace("VERB", c.name)) : [l]));
    lines.push("cfgvirt boot"); // npm start
    // `cfgvirt qemu` boots a real guest (~3 s of QEMU): test/serve/real-guest.test.ts
    // runs that very command, `--json` and repeated `--device`, with every dump.
    const booted = readFileSync(join(packageRoot, "test", "serve", "real-guest.test.ts"), "utf8").includes('cli("qemu", "--json"');
    const qemuLines = lines.filter((l) => /^cfgvirt qemu( |$)/.test(l) && !l.includes("--help"));
    expect(qemuLines.every((l) => /^cfgvirt qemu( --device \S+)+ --json$/.test(l)) && booted, `${qemuLines.join("\n")}: not the command the real-guest test boots`).toBe(true);
    lines.splice(0, lines.length, ...lines.filter((l) => !qemuLines.includes(l)));
    for (const line of lines) {
      const argv = line
        .replace(/^cfgvirt /, "")
        .replace(/\[([^\]]*)\]/g, "$1")
        .split(/\s+/)
        .map((w) => (w in files ? join(dir, w) : w === "site" ? join(dir, "site") : w));
      const r = await cli(...argv);
      const want = argv[0] === "diff" && !argv.includes("--help") ? 1 : 0; // the two README devices differ
      expect(r.code, `${line}\n${r.err}`).toBe(want);
      expect(r.out.length, line).toBeGreaterThan(0);
    }
  }, 300_000);
});
