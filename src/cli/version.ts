// The package's version, read from its package.json.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../paths.js";

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(join(packageRoot, "package.json"), "utf8")) as { version?: unknown };
  return typeof pkg.version === "string" ? pkg.version : "unknown";
}
