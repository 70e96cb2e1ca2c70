// Paths and hashes shown in generated documentation: always relative (to the
// package root when inside it, else to the working directory), with forward
// slashes, so the same inputs give the same bytes on any machine.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { isAbsolute, relative, resolve, sep } from "node:path";
import type { SourceRef } from "../compile/template.js";
import { packageRoot } from "../paths.js";

const posix = (p: string) => p.split(sep).join("/");

/** A path as the documentation names it. Non-file names such as "(built-in default)" stay. */
export function docPath(path: string): string {
  if (path.startsWith("(")) return path;
  const abs = resolve(path);
  const inPackage = relative(packageRoot, abs);
  if (inPackage === "") return ".";
  if (!inPackage.startsWith("..") && !isAbsolute(inPackage)) return posix(inPackage);
  const fromCwd = relative(process.cwd(), abs);
  return isAbsolute(fromCwd) ? posix(abs) : posix(fromCwd) || ".";
}

export function docRef(ref: SourceRef): string {
  return ref.line > 0 ? `${docPath(ref.path)}:${ref.line}` : docPath(ref.path);
}

export { sha256 } from "../io/content-hash.js";

/** One hash over files' contents, keyed by their documentation path (order-independent). */
export function hashByDocPath(paths: readonly string[]): string {
  const entries = [...new Set(paths)].map((p) => [docPath(p), readFileSync(resolve(p))] as const);
  entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const h = createHash("sha256");
  for (const [name, bytes] of entries) {
    h.update(name);
    h.update("\0");
    h.update(String(bytes.length));
    h.update("\0");
    h.update(bytes);
  }
  return h.digest("hex");
}
