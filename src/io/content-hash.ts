// Content hashes for what the build caches: a cache is used only while the
// files it was made from hash the same (stdlib-cache.ts, syntax-cache.ts).
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { relative } from "node:path";
import { packageRoot } from "../paths.js";

export const sha256 = (data: string | Uint8Array): string => createHash("sha256").update(data).digest("hex");

/** One hash over a format tag and files, in the order given: each file's path in the package, then its bytes. */
export function hashFiles(format: string, files: readonly string[]): string {
  const h = createHash("sha256").update(format);
  for (const f of files) h.update(relative(packageRoot, f)).update("\0").update(readFileSync(f)).update("\0");
  return h.digest("hex");
}
