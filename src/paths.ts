// Where the package's own data lives (grammar, standard rules, examples), found
// from this module's location so it works from src/ (tests) and dist/src/ (bin).
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg) && /"name":\s*"cfgvirt"/.test(readFileSync(pkg, "utf8"))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error("cfgvirt: cannot find the package root from " + import.meta.url);
    dir = up;
  }
}

export const packageRoot = findRoot();
/** Whether this is the built package (dist/src/, run by node) rather than its sources (src/, run by tsx or vitest). */
export const builtRun = dirname(fileURLToPath(import.meta.url)).includes(join("dist", "src"));
export const grammarPath = join(packageRoot, "grammar", "cfgvirt.ohm");
export const rulesDir = join(packageRoot, "rules");
export const examplesDir = join(packageRoot, "examples");
