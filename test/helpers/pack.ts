// `npm pack` runs `prepare`, the whole build: ~10 s of CPU, and it empties dist/
// while other test files run. When dist/ was built after the last change to
// everything it is built from (CI: `npm ci` has just built it; otherwise
// test/global-setup.ts builds it before any test), the tarball is packed from
// it as it is; otherwise the build runs as a user's `npm pack` would.
import { execFileSync } from "node:child_process";
import { packageRoot } from "../../src/paths.js";
import { distIsCurrent } from "./dist.js";

export interface Packed {
  filename: string;
  files: { path: string }[];
}

/** `npm pack --json` of the checkout into `dest`, building first unless dist/ is current. */
export function npmPack(dest: string): Packed[] {
  const args = ["pack", "--json", "--pack-destination", dest, ...(distIsCurrent() ? ["--ignore-scripts"] : [])];
  return JSON.parse(execFileSync("npm", args, { cwd: packageRoot, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] })) as Packed[];
}
