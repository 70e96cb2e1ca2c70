// Issue 13: the standard library ships precompiled; loading it must give
// exactly what a fresh compile gives, and a cache that does not match the
// rules or the compiler is never used.
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { appliedDevice } from "../../src/compile/apply/device.js";
import { compileStandardFromSource } from "../../src/compile/pipeline.js";
import { loadStdlibCache, stdlibCacheJson, validatedStampPath, writeStdlibCache } from "../../src/compile/stdlib-cache.js";
import { ruleWarnings } from "../../src/compile/warnings.js";
import { SimulatedDevice } from "../../src/host/simulated.js";
import { attach } from "../../src/runtime/attach.js";
import { sharedDumps } from "../helpers/devices.js";
import { readConfigFile } from "../../src/host/dump.js";

const fresh = compileStandardFromSource();
const path = join(mkdtempSync(join(tmpdir(), "cfgvirt-stdlib-")), "stdlib.json");
writeStdlibCache(fresh, ruleWarnings(fresh), path);
let fullCompiles = 0;
const cached = loadStdlibCache(() => {
  fullCompiles++;
  return compileStandardFromSource();
}, path)!;

describe("the precompiled standard library", () => {
  it("loads, and its templates equal a fresh compile's", () => {
    expect(cached).toBeDefined();
    expect(JSON.parse(JSON.stringify(cached.templates))).toEqual(JSON.parse(JSON.stringify(fresh.templates)));
  });

  it("its device files match, allow, hide and size as the fresh ones do, with the same applied templates", () => {
    expect(cached.devices.map((d) => [d.name, d.matches.map(({ span: _s, ...m }) => m), [...d.allow], [...d.hide], d.barSizes, d.romSize, d.passBytes, d.permissive]))
      .toEqual(fresh.devices.map((d) => [d.name, d.matches.map(({ span: _s, ...m }) => m), [...d.allow], [...d.hide], d.barSizes, d.romSize, d.passBytes, d.permissive]));
    cached.devices.forEach((d, i) => {
      const a = appliedDevice(cached, d);
      const b = appliedDevice(fresh, fresh.devices[i]);
      expect(JSON.parse(JSON.stringify([...a.templates.values()]))).toEqual(JSON.parse(JSON.stringify([...b.templates.values()])));
      expect([...a.visibility]).toEqual([...b.visibility]);
    });
    expect(fullCompiles).toBe(0);
  });

  it("attaches every real dump to the same tables as a fresh compile, without parsing", () => {
    for (const dump of sharedDumps()) {
      const bytes = readConfigFile(dump).bytes;
      const a = attach(cached, new SimulatedDevice(bytes), { allowBridge: true });
      const b = attach(fresh, new SimulatedDevice(bytes), { allowBridge: true });
      expect(Buffer.from(a.hot.buffer).equals(Buffer.from(b.hot.buffer)), dump).toBe(true);
      expect(Buffer.from(a.initialShadow.buffer).equals(Buffer.from(b.initialShadow.buffer)), dump).toBe(true);
    }
    expect(fullCompiles).toBe(0);
  });

  it("compiles from source only when asked for syntax (the reference, docs, overrides)", () => {
    expect(cached.layoutsByName.get("msi")?.name.name).toBe("msi");
    expect(fullCompiles).toBe(1);
    // Once: the rule set, the layouts and every device file's overrides come from that one compile.
    expect(cached.ruleSet.layouts.length).toBe(fresh.ruleSet.layouts.length);
    for (const d of cached.devices) expect(d.overrides).toBeDefined();
    expect(fullCompiles).toBe(1);
  });

  it("is not used when it does not match the rules and compiler here", () => {
    // Another hash of the inputs, with bytes the stamp vouches for: refused by the hash.
    const stale = JSON.parse(readFileSync(path, "utf8"));
    stale.hash = "0".repeat(64);
    const staleText = JSON.stringify(stale);
    writeFileSync(path + ".stale", staleText);
    writeFileSync(validatedStampPath(path + ".stale"), createHash("sha256").update(staleText).digest("hex"));
    expect(loadStdlibCache(compileStandardFromSource, path + ".stale")).toBeUndefined();
  });

  it("is not used when its bytes are not the ones the build validated (no zod at load)", () => {
    // A template the schema refuses, with the right hash of the inputs but the old stamp.
    const broken = { ...stdlibCacheJson(fresh, ruleWarnings(fresh)), templates: [{ name: 1 }] };
    writeFileSync(path + ".bad", JSON.stringify(broken));
    writeFileSync(validatedStampPath(path + ".bad"), readFileSync(validatedStampPath(path)));
    expect(loadStdlibCache(compileStandardFromSource, path + ".bad")).toBeUndefined();
    // One byte changed in a valid cache: refused too.
    const text = readFileSync(path, "utf8");
    writeFileSync(path + ".edited", text.replace(/"hwRead":(\d+)/, (_m, n: string) => `"hwRead":${Number(n) ^ 1}`));
    writeFileSync(validatedStampPath(path + ".edited"), readFileSync(validatedStampPath(path)));
    expect(loadStdlibCache(compileStandardFromSource, path + ".edited")).toBeUndefined();
    // Without a stamp: refused.
    writeFileSync(path + ".nostamp", text);
    expect(loadStdlibCache(compileStandardFromSource, path + ".nostamp")).toBeUndefined();
    // The same bytes with their stamp: used.
    writeFileSync(path + ".copy", text);
    writeFileSync(validatedStampPath(path + ".copy"), readFileSync(validatedStampPath(path)));
    expect(loadStdlibCache(compileStandardFromSource, path + ".copy")).toBeDefined();
  });

  it("writing refuses a document the zod schema does not accept", () => {
    const bad = { ...fresh, templates: [{ ...fresh.templates[0], name: 7 }] } as unknown as typeof fresh;
    expect(() => writeStdlibCache(bad, [], path + ".never")).toThrow(/J002/);
  });
});
