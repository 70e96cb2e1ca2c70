// `npm pack` runs `prepare`, the whole build: ~10 s of CPU, and it empties dist/
// while other test files run. When dist/ was built after the last change to
// everything it is built from (CI: `npm ci` has just built it), the tarball is
// packed from it as it is; otherwise the build runs as a user's `npm pack` would.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../../src/paths.js";

/** Written last by `npm run build`; absent when a build failed half-way. */
const buildStamp = join(packageRoot, "dist", "src", "compile", "stdlib.json");
const inputs = ["src", "bench", "grammar", "rules", "tsconfig.json", "package.json"];

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

export interface Packed {
  filename: string;
  files: { path: string }[];
}

/** `npm pack --json` of the checkout into `dest`, building first unless dist/ is current. */
export function npmPack(dest: string): Packed[] {
  const args = ["pack", "--json", "--pack-destination", dest, ...(distIsCurrent() ? ["--ignore-scripts"] : [])];
  return JSON.parse(execFileSync("npm", args, { cwd: packageRoot, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] })) as Packed[];
}
