// The platform is part of the package's public surface: `import { Machine }
// from "cfgvirt"` (src/index.ts) and from "cfgvirt/platform".
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, expectTypeOf, it } from "vitest";
import * as pkg from "../../src/index.js";
import * as platform from "../../src/platform/index.js";
import { packageRoot } from "../../src/paths.js";

describe("package exports", { timeout: 60_000 }, () => {
  it("exports Machine and its friends from the package root, typed", () => {
    expect(pkg.Machine).toBe(platform.Machine);
    for (const name of ["Machine", "Vcpus", "InterruptController", "HostBars", "BarMap", "Ring", "DeviceModelLog", "Iommu", "RootPort", "PassThroughFunction"] as const) {
      expect(typeof pkg[name]).toBe("function");
    }
    const m = new pkg.Machine({ vcpus: 2 });
    expectTypeOf(m.cpus).toEqualTypeOf<pkg.Vcpus>();
    expectTypeOf(m.plug).returns.toEqualTypeOf<pkg.PassThroughFunction>();
    expect(m.cpus.count).toBe(2);
  });

  it("package.json maps `cfgvirt/platform` to the built platform module", () => {
    const json = JSON.parse(readFileSync(join(packageRoot, "package.json"), "utf8")) as { exports: Record<string, { types: string; default: string }>; scripts: Record<string, string> };
    expect(json.exports["./platform"]).toEqual({ types: "./dist/src/platform/index.d.ts", default: "./dist/src/platform/index.js" });
    expect(json.scripts.start).toBe("node dist/src/cli.js boot");
  });
});
