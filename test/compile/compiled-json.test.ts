// Issue 12: `cfgvirt compile --json` writes the compiled rules in the format of
// the precompiled standard library, and the JSON is attachable as it is:
// every verb's --rules takes it in place of the rule files and attaches the
// same tables; a corrupted file is refused with the path of the bad value.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compiledToJson, readCompiledRules } from "../../src/compile/compiled-json.js";
import { compileRules, type CompiledRules } from "../../src/compile/pipeline.js";
import { ruleWarnings } from "../../src/compile/warnings.js";
import { CfgvirtError } from "../../src/diag/diagnostic.js";
import { readConfigFile } from "../../src/host/dump.js";
import { exampleDevices, openSource, readDeviceSource } from "../../src/open-device.js";
import type { DeviceTables } from "../../src/runtime/tables.js";
import { deviceWarnings } from "../../src/runtime/warnings.js";
import { cli } from "../helpers/cli.js";
import { sharedDumps } from "../helpers/devices.js";

const dir = mkdtempSync(join(tmpdir(), "cfgvirt-compiled-json-"));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

// A user's device files for the 82576 with statements of every kind, and ones
// that draw every rule and device warning (W001 no match, W002 two files for
// one ID, W003 a dropped file's statements, W006 an override of a trap to pass).
const userRules = file("user.rules", [
  'device "shadowed" match 8086:10c9 {',
  "  hide pm",
  "  reassign",
  "}",
  'device "82576 under test" match 8086:10c9 {',
  "  override msi.control.enable pass",
  "  override msi.control.multiple_enable hide",
  "  allow sriov, dsn",
  "  override pcie.device_control.max_read_request_size emulate(0)",
  "  ids subsystem_id = 0xbeef",
  "  bar 0 size 128K",
  "  pass 0xe0..0xe3 RW",
  "}",
  'device "nobody" match 1234:5678 {',
  "  permissive",
  "}",
  "",
].join("\n"));

/** The compiled rules written as `compile --json` writes them, and read back from that file. */
function throughJson(compiled: CompiledRules, name: string): CompiledRules {
  const path = file(name, JSON.stringify(compiledToJson(compiled, ruleWarnings(compiled)), null, 1));
  return readCompiledRules(path);
}

/** Everything attach produced that the runtime or the tools read: every per-dword mask, hooks, shadow, placement, BARs. */
function snapshot(t: DeviceTables): unknown {
  const plain = (v: unknown): unknown => {
    if (ArrayBuffer.isView(v)) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("hex");
    if (v instanceof Map) return [...v].map(plain);
    if (v instanceof Set) return [...v].map(plain);
    if (Array.isArray(v)) return v.map(plain);
    if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).filter(([k]) => k !== "policy").map(([k, x]) => [k, plain(x)]));
    return v;
  };
  return { ...(plain(t) as object), policy: t.policy.name };
}

function sameAttach(bytesOf: () => ReturnType<typeof readDeviceSource>, fromRules: CompiledRules, fromJson: CompiledRules, label: string, userFiles: string[]) {
  const source = bytesOf();
  const a = openSource({ ...source, compiled: fromRules }, { allowBridge: true });
  const b = openSource({ ...source, compiled: fromJson }, { allowBridge: true });
  expect(snapshot(b.tables), label).toEqual(snapshot(a.tables));
  const warn = (o: typeof a, compiled: CompiledRules) =>
    [...ruleWarnings(compiled), ...deviceWarnings({ compiled, host: o.host, tables: o.tables, userFiles })].map((d) => `${d.code} ${d.message} ${d.span?.source.path}:${d.span ? d.span.source.position(d.span.start).line : ""}`);
  expect(warn(b, fromJson), label).toEqual(warn(a, fromRules));
}

describe("compiled JSON attaches as the rule files do", () => {
  const rules = compileRules([userRules]);
  const json = throughJson(rules, "user.json");

  it("for every real dump: identical tables (every per-dword mask) and warnings", () => {
    const dumps = sharedDumps();
    for (const dump of dumps) {
      sameAttach(() => ({ ...readDeviceSource(dump), bytes: readConfigFile(dump).bytes }), rules, json, dump, [userRules]);
    }
  });

  it("for every example device, compiled with its own file", () => {
    for (const example of exampleDevices()) {
      const own = compileRules([example]);
      sameAttach(() => readDeviceSource(example), own, throughJson(own, "example.json"), example, [example]);
    }
  });

  it("keeps the device files' overrides, visibility and names without the syntax", () => {
    const applied = json.devices.find((d) => d.name === "82576 under test")!;
    expect([...applied.allow]).toEqual(["sriov", "dsn"]);
    expect(applied.barSizes[0]).toBe(128 * 1024);
    expect(json.templatesByName.get("msi")!.fields.some((f) => f.field === "multiple_enable")).toBe(true);
    // Asking for syntax is a typed error that names the file.
    expect(() => json.ruleSet).toThrow(CfgvirtError);
    expect(() => json.layoutsByName).toThrow(/J003|user\.json holds compiled rules/);
  });
});

describe("the command line", () => {
  it("compile --json writes the document; view, export and explain take it in place of the rule files", async () => {
    const compiled = await cli("compile", "--json", userRules);
    expect(compiled.code).toBe(0);
    const doc = JSON.parse(compiled.out) as { format: string; devices: { name: string; standard: boolean; statements: string[] }[] };
    expect(doc.format).toBe("cfgvirt-compiled/1");
    expect(doc.devices.find((d) => d.name === "82576 under test")).toMatchObject({ standard: false, statements: ["override", "allow", "ids", "bar", "pass"] });
    expect(compiled.err).toMatch(/warning\[W002\][\s\S]*warning\[W006\]/);
    const path = file("cli.json", compiled.out);
    for (const dump of sharedDumps().slice(0, 3)) {
      for (const verb of [["view", "--format", "json"], ["view"], ["export", "--format", "json"], ["explain"]]) {
        const a = await cli(...verb, "--device", dump, "--rules", userRules);
        const b = await cli(...verb, "--device", dump, "--rules", path);
        expect(b.code, `${verb.join(" ")} ${dump}: ${b.err}`).toBe(a.code);
        expect(b.out, `${verb.join(" ")} ${dump}`).toBe(a.out);
        expect(b.err, `${verb.join(" ")} ${dump}`).toBe(a.err);
      }
    }
  });

  it("the warnings come from the JSON as the rule files give them, with their source lines", async () => {
    const path = file("warn.json", (await cli("compile", "--json", userRules)).out);
    const dump = sharedDumps().find((d) => d.includes("82576"));
    if (!dump) return;
    const r = await cli("view", "--device", dump, "--rules", path);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/user\.rules:6:3: warning\[W006\]: override makes msi\.control\.enable `pass`[^\n]*\n *\|\n6 \|   override msi\.control\.enable pass\n/);
    expect(r.err).toMatch(/user\.rules:1:1: warning\[W003\]: device "shadowed" also matches this device, but the more specific "82576 under test" applies: its statements \(hide, reassign\) are dropped/);
    expect(r.err).toMatch(/user\.rules:\d+:\d+: warning\[W002\]/);
    expect(r.err).toMatch(/user\.rules:14:1: warning\[W001\]: device "nobody" matches no device here/);
  });

  it("an example device with compiled rules: the image from its file, the rules from the JSON", async () => {
    const example = exampleDevices()[0];
    const path = file("nic.json", (await cli("compile", "--json", example)).out);
    const a = await cli("view", "--device", example);
    const b = await cli("view", "--device", example, "--rules", path);
    expect(b.err).toBe(a.err);
    expect(b.out).toBe(a.out);
  });

  it("a corrupted file is refused with its position and the path of the bad value", async () => {
    const good = (await cli("compile", "--json", userRules)).out;
    // A mask of an override lowered into a device file's own templates.
    const at = good.indexOf('"overridden"');
    const bad = good.slice(0, at) + good.slice(at).replace(/"hwRead": \d+/, '"hwRead": -5');
    const path = file("bad.json", bad);
    const line = bad.slice(0, bad.indexOf('"hwRead": -5')).split("\n").length;
    const r = await cli("view", "--device", sharedDumps()[0] ?? exampleDevices()[0], "--rules", path);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(new RegExp(`bad\\.json:${line}:\\d+: error\\[J002\\]: devices\\.\\d+\\.overridden\\.\\d+\\.pieces\\.\\d+\\.masks\\.hwRead: `));
    expect(r.err).toContain("help: produce this file with `cfgvirt compile --json`");
    // A device file naming a layout that does not exist.
    const user = good.indexOf('"name": "82576 under test"');
    const unknown = file("unknown.json", good.slice(0, user) + good.slice(user).replace('"sriov"', '"sriovv"'));
    expect((await cli("view", "--device", exampleDevices()[0], "--rules", unknown)).err).toMatch(/unknown\.json:\d+:\d+: error\[J002\]: devices\.\d+\.allow\.0: no layout named `sriovv`/);
    // Not JSON at all.
    const truncated = file("cut.json", good.slice(0, 100));
    expect((await cli("compile", truncated)).err).toMatch(/cut\.json:\d+:\d+: error\[J001\]: not valid JSON/);
  });

  it("refuses compiled JSON where the syntax is needed (J003), or mixed with rule files (J004)", async () => {
    const path = file("all.json", (await cli("compile", "--json")).out);
    const fuzz = await cli("fuzz", "--device", exampleDevices()[0], "--rules", path, "--runs", "10");
    expect(fuzz.code).toBe(2);
    expect(fuzz.err).toMatch(/error\[J003\]: .*all\.json holds compiled rules/);
    const mixed = await cli("view", "--device", exampleDevices()[0], "--rules", path, "--rules", userRules);
    expect(mixed.code).toBe(2);
    expect(mixed.err).toMatch(/error\[J004\]: .*all\.json holds a whole compiled rule set; it cannot be combined with .*user\.rules/);
  });

  it("the standard library's own cache is a document of the same format", () => {
    const cache = join(import.meta.dirname, "..", "..", "dist", "src", "compile", "stdlib.json");
    let text: string;
    try {
      text = readFileSync(cache, "utf8");
    } catch {
      return; // not built: `npm run build` writes it
    }
    expect((JSON.parse(text) as { format: string }).format).toBe("cfgvirt-compiled/1");
  });
});
