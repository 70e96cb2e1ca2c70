// The type check, as part of the suite: the tests and benches against the
// built declarations, and the editor extension against @types/vscode.
//
// src/ and bench/ are checked by the build (`tsc -p tsconfig.json` fails
// `npm run build`, and test/global-setup.ts builds dist/ before any test when
// it is older than its sources). tsconfig.test.json references that project,
// so the tests are checked against dist/'s declarations instead of checking
// src/ a second time. It runs here, after the global setup, because a check
// started beside it would read declarations the build is rewriting.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { packageRoot } from "../src/paths.js";

const tsc = join(packageRoot, "node_modules", "typescript", "bin", "tsc");

function check(project: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [tsc, "-p", project, "--pretty", "false"], { cwd: packageRoot, encoding: "utf8", maxBuffer: 1 << 24 }, (e, out, err) => {
      resolve({ code: e === null ? 0 : typeof e.code === "number" ? e.code : 1, out: out + err });
    });
  });
}

describe("the type check (strict)", () => {
  // Both at once: each is a process of its own.
  const tests = check("tsconfig.test.json");
  const extension = check(join("editors", "vscode", "jsconfig.json"));

  it("passes for the tests and vitest.config.ts, against the built declarations", async () => {
    const r = await tests;
    expect(r.out).toBe("");
    expect(r.code).toBe(0);
  }, 120_000);

  it("passes for the editor extension against the oldest VS Code API it declares", async () => {
    const r = await extension;
    expect(r.out).toBe("");
    expect(r.code).toBe(0);
  }, 120_000);
});
