// `cfgvirt compile --json` output is described by the exported zod schema, and
// loading it back validates it with positioned errors.
import { describe, expect, it } from "vitest";
import { compileRules } from "../../src/compile/pipeline.js";
import { compiledSchemas, loadTemplatesJson, templatesToJson } from "../../src/compile/schema.js";
import { CfgvirtError } from "../../src/diag/diagnostic.js";
import { cli } from "../helpers/cli.js";

describe("compiled templates as JSON", () => {
  it("compile --json prints JSON the schema accepts, and it loads back to the same templates", async () => {
    const r = await cli("compile", "--json");
    expect(r.code).toBe(0);
    const data = JSON.parse(r.out);
    expect(compiledSchemas().compiledJsonSchema.safeParse(data).success).toBe(true);
    const loaded = loadTemplatesJson("t.json", r.out);
    expect(loaded).toEqual(templatesToJson(compileRules().templates).templates);
    expect(loaded.map((t) => t.name)).toEqual(expect.arrayContaining(["type0", "pm", "msi", "msix"]));
  });

  it("rejects malformed JSON with a position", () => {
    try {
      loadTemplatesJson("bad.json", '{"format": "cfgvirt-compiled/1",\n "templates": [}');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(CfgvirtError);
      expect((e as CfgvirtError).message).toMatch(/^bad\.json:2:\d+: error\[J001\]: not valid JSON/);
    }
  });

  it("rejects JSON that does not match the schema, naming the path and line", () => {
    const good = JSON.stringify(templatesToJson(compileRules().templates), null, 1);
    const bad = good.replace(/"hwRead": \d+/, '"hwRead": -5');
    try {
      loadTemplatesJson("bad.json", bad);
      expect.unreachable();
    } catch (e) {
      const err = e as CfgvirtError;
      expect(err.code).toBe("J002");
      expect(err.message).toMatch(/bad\.json:\d+:\d+: error\[J002\]: templates\.0\.pieces\.0\.masks\.hwRead: /);
      expect(err.message).toContain("help: produce this file with `cfgvirt compile --json`");
    }
  });
});
