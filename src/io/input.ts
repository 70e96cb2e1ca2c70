// The one place that reads a file a user names: device dumps, rule files and
// their includes, access scripts, compiled JSON. Every verb reads through it, so
// every input gets the same guarantees: a device node (/dev/zero), a directory
// or a socket is refused before it is read; a regular file, a pipe (process
// substitution `<(...)`, a FIFO) or standard input (`-`) is read only up to a
// size cap; and a failing open is a typed, positioned error, never a raw errno.
import { closeSync, constants, fstatSync, openSync, readSync, type Stats, statSync } from "node:fs";
import { CfgvirtError, error, type Span } from "../diag/diagnostic.js";

export type InputKind = "device" | "rules" | "script" | "json";

const KiB = 1024;
const MiB = 1024 * KiB;

/**
 * Size caps, well above any real input. Rules: the parser's own cap
 * (MAX_RULES_BYTES, about 60 MB of memory at most); the standard library's
 * largest file is 19 KB. Device: a whole machine's
 * `lspci -vvv -xxxx` is well under 1 MiB. Scripts and JSON are parsed line by
 * line or as one value, cheaply.
 */
export const INPUT_LIMITS: Readonly<Record<InputKind, number>> = {
  device: 8 * MiB,
  rules: 256 * KiB,
  script: 32 * MiB,
  json: 64 * MiB,
};

const NOUN: Readonly<Record<InputKind, string>> = {
  device: "device",
  rules: "rule file",
  script: "script",
  json: "JSON file",
};

/** Standard input's name on the command line. */
export const STDIN = "-";

/** How long a pipe may stay silent before we give up on it. */
const PIPE_IDLE_MS = 30_000;

export interface ReadOptions {
  /** Where the path was named (an `include`), for a positioned error. */
  readonly at?: Span;
  /** Override the kind's size cap (tests). */
  readonly limit?: number;
}

const fail = (kind: InputKind, path: string, why: string, at: Span | undefined, help?: string, code = "I001"): never => {
  throw new CfgvirtError([error(code, `cannot read ${NOUN[kind]} ${path}: ${why}`, at, help)]);
};

/** What a non-regular file is, in words, or undefined when we may read it. */
function refusedType(st: Stats): string | undefined {
  if (st.isFile() || st.isFIFO()) return undefined;
  if (st.isDirectory()) return "it is a directory";
  if (st.isCharacterDevice()) return "it is a character device";
  if (st.isBlockDevice()) return "it is a block device";
  if (st.isSocket()) return "it is a socket";
  return "it is not a regular file";
}

const ERRNO: Readonly<Record<string, string>> = {
  ENOENT: "no such file",
  EACCES: "permission denied",
  EPERM: "permission denied",
  EISDIR: "it is a directory",
  ENOTDIR: "a component of the path is not a directory",
  ELOOP: "too many levels of symbolic links",
  ENAMETOOLONG: "the file name is too long",
  EEXIST: "the file exists",
  ENXIO: "no such device or address",
  EMFILE: "too many open files",
  EIO: "input/output error",
};

/** A Node system error (ENOENT, ELOOP, ...) as a short phrase, or undefined for anything else. */
export function describeErrno(e: unknown): string | undefined {
  if (!(e instanceof Error) || !("code" in e) || typeof e.code !== "string" || !/^E[A-Z0-9]+$/.test(e.code)) return undefined;
  return Object.hasOwn(ERRNO, e.code) ? ERRNO[e.code] : `${e.code}`;
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Read an open descriptor to its end, refusing more than `limit` bytes; waits on an empty non-blocking pipe. */
function readCapped(fd: number, limit: number, tooBig: () => never): Buffer {
  const chunks: Buffer[] = [];
  let total = 0;
  let idleSince = Date.now();
  for (;;) {
    const chunk = Buffer.allocUnsafe(Math.min(64 * KiB, limit + 1 - total));
    let n: number;
    try {
      n = readSync(fd, chunk, 0, chunk.length, null);
    } catch (e) {
      if (e instanceof Error && "code" in e && e.code === "EAGAIN") {
        if (Date.now() - idleSince > PIPE_IDLE_MS) throw e;
        sleep(5);
        continue;
      }
      throw e;
    }
    if (n === 0) break;
    idleSince = Date.now();
    chunks.push(chunk.subarray(0, n));
    total += n;
    if (total > limit) tooBig();
  }
  return Buffer.concat(chunks, total);
}

/**
 * Read a user's input file, or standard input for `-`. Throws a CfgvirtError
 * (I001 cannot read, I002 not a file, I003 too large), positioned at `at` when given.
 */
export function readInput(path: string, kind: InputKind, opts: ReadOptions = {}): Buffer {
  const limit = opts.limit ?? INPUT_LIMITS[kind];
  const tooBig = (): never =>
    fail(kind, path, `it is larger than ${limit >= MiB ? `${limit / MiB} MiB` : `${limit / KiB} KiB`}`, opts.at,
      `a ${NOUN[kind]} is at most ${limit} bytes; is this the file you meant?`, "I003");
  if (path === STDIN) {
    try {
      return readCapped(0, limit, tooBig);
    } catch (e) {
      if (e instanceof CfgvirtError) throw e;
      return fail(kind, "(standard input)", describeErrno(e) ?? String(e), opts.at);
    }
  }
  const help = "give a regular file, `-` for standard input, or a pipe such as <(lspci -xxxx -s 00:03.0)";
  let fd: number | undefined;
  try {
    // Look before opening: opening a device node can have effects of its own.
    const refused = refusedType(statSync(path));
    if (refused) fail(kind, path, refused, opts.at, help, "I002");
    // Non-blocking, so that opening a FIFO nobody writes to does not wait forever.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
    const st = fstatSync(fd);
    const again = refusedType(st);
    if (again) fail(kind, path, again, opts.at, help, "I002");
    if (st.isFile() && st.size > limit) tooBig();
    return readCapped(fd, limit, tooBig);
  } catch (e) {
    if (e instanceof CfgvirtError) throw e;
    const why = describeErrno(e);
    if (why === undefined) throw e;
    return fail(kind, path, why, opts.at);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Read a text input as UTF-8, without a leading byte-order mark. */
export function readTextInput(path: string, kind: InputKind, opts: ReadOptions = {}): string {
  return decodeText(readInput(path, kind, opts));
}

export function decodeText(data: Uint8Array): string {
  const text = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("utf8");
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
