// The built package in dist/, as `npm ci` (`prepare`) builds it and users run
// it. A test that needs a cfgvirt process of its own runs dist/src/cli.js rather
// than src/cli.ts through tsx: the built one starts from the precompiled
// standard library, where a tsx run parses the rule files again (~1 s of CPU
// a process). test/global-setup.ts builds dist/ before any test runs when it is
// older than what it is built from, so a test never runs stale code.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../../src/paths.js";

/** The built src/ tree. */
export const DIST_SRC = join(packageRoot, "dist", "src");
/** The command line's entry point, built. */
export const CLI_JS = join(DIST_SRC, "cli.js");

/** Written last by `npm run build` (src/compile/build-stdlib.ts); absent when a build failed half-way. */
const buildStamp = join(packageRoot, "dist", "src", "syntax", "stdlib-syntax.json");
const inputs = ["src", "bench", "grammar", "rules", "examples", "tsconfig.json", "package.json"];

function newestBelow(path: string): number {
  if (!existsSync(path)) return 0;
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  return Math.max(s.mtimeMs, ...readdirSync(path).map((name) => newestBelow(join(path, name))));
}

/** dist/ holds a build of the current sources. */
export function distIsCurrent(): boolean {
  if (!existsSync(buildStamp)) return false;
  const built = statSync(buildStamp).mtimeMs;
  return inputs.every((p) => newestBelow(join(packageRoot, p)) < built);
}

/** Build dist/ (`npm run build`) unless it is current; throws with the build's output when it fails. */
export function ensureDistCurrent(): void {
  if (distIsCurrent()) return;
  try {
    execFileSync("npm", ["run", "build"], { cwd: packageRoot, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    const r = e as { stdout?: string; stderr?: string };
    throw new Error(`npm run build failed (it type-checks src/ and bench/, then saves the standard library); the tests run the built package (test/helpers/dist.ts):\n${r.stdout ?? ""}${r.stderr ?? ""}`);
  }
  if (!distIsCurrent()) throw new Error("npm run build left dist/ older than its sources");
}
