// `cfgvirt VERB ...`: dispatch, help, and the one place that turns errors into
// exit statuses (0 success, 1 differences or findings, 2 usage or input error).
// Each verb's module is imported only when that verb runs: start-up stays fast
// and a verb's dependencies (fast-check for fuzz) load only for it.
import { CfgvirtError } from "../diag/diagnostic.js";
import { type Command, EXIT, type Io, UsageError } from "./command.js";
import { packageVersion } from "./version.js";
import { paint } from "./style.js";
import { colorHeads, finishWarnings } from "./warnings.js";

/** A verb as the overview lists it; `load` imports its module. */
export interface VerbEntry {
  readonly name: string;
  readonly summary: string;
  readonly load: () => Promise<Command>;
}

// One line per verb, so that new verbs merge as one added line.
export const commands: readonly VerbEntry[] = [
  { name: "view", summary: "print the guest's view of a device's configuration space", load: async () => (await import("./view.js")).viewCommand },
  { name: "replay", summary: "run guest accesses (own syntax, setpci, QEMU vfio traces) against a device", load: async () => (await import("./replay.js")).replayCommand },
  { name: "compile", summary: "check rule files and print the compiled templates", load: async () => (await import("./compile.js")).compileCommand },
  { name: "explain", summary: "show the effective rules for a device, per register and field, with their sources", load: async () => (await import("./explain.js")).explainCommand },
  { name: "export", summary: "write a device's compiled tables as a C or Rust header, or JSON", load: async () => (await import("./export.js")).exportCommand },
  { name: "docs", summary: "generate coverage documentation (Markdown and one HTML page) from the rules", load: async () => (await import("./docs.js")).docsCommand },
  { name: "diff", summary: "show every bit whose attribute or policy differs between two devices or two rule sets", load: async () => (await import("./diff.js")).diffCommand },
  { name: "fuzz", summary: "fuzz a device: table runtime against the reference interpreter", load: async () => (await import("./fuzz.js")).fuzzCommand },
  { name: "serve", summary: "serve one device to QEMU's multi-process proxy over a UNIX socket", load: async () => (await import("./serve.js")).serveCommand },
  { name: "list", summary: "list this machine's PCI devices and what cfgvirt would do with each", load: async () => (await import("./list.js")).listCommand },
  { name: "qemu", summary: "boot a real Linux guest in QEMU against served devices and show what it saw", load: async () => (await import("./qemu.js")).qemuCommand },
  { name: "boot", summary: "boot a simulated guest that brings up passed-through devices, and check every step", load: async () => (await import("./boot.js")).bootCommand },
  { name: "explain-error", summary: "explain an error code, with an example and the fix", load: async () => (await import("./explain-error.js")).explainErrorCommand },
  { name: "lsp", summary: "language server for editors (LSP over stdio)", load: async () => (await import("./lsp.js")).lspCommand },
];

function overview(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    "cfgvirt: PCI configuration-space virtualizer for device pass-through",
    "",
    "usage: cfgvirt VERB [options]      (cfgvirt VERB --help for a verb's options)",
    "       cfgvirt --version",
    "",
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "Every verb with output takes --json. Warnings (warning[W...]) go to stderr;",
    "--deny-warnings makes them errors. NO_COLOR=1 turns colour off.",
    "",
    "exit status: 0 success; 1 differences or findings (diff found differences,",
    "fuzz or replay --check found a disagreement); 2 usage or input error",
  ].join("\n");
}

export async function run(argv: string[], io: Io): Promise<number> {
  const [verb, ...rest] = argv;
  if (verb === undefined || verb === "--help" || verb === "-h" || verb === "help") {
    io.out(overview() + "\n");
    return verb === undefined ? EXIT.usage : EXIT.ok;
  }
  if (verb === "--version" || verb === "-V" || verb === "version") {
    io.out(`cfgvirt ${packageVersion()}\n`);
    return EXIT.ok;
  }
  const entry = commands.find((c) => c.name === verb);
  if (!entry) {
    io.err(`${paint(io, "error", "error")}: cfgvirt: unknown verb '${verb}'\n\n${overview()}\n`);
    return EXIT.usage;
  }
  const command = await entry.load();
  if (rest.includes("--help") || rest.includes("-h")) {
    io.out(command.help.trimEnd() + "\n");
    return EXIT.ok;
  }
  try {
    return await command.run(rest, io);
  } catch (e) {
    return failed(e, verb, command, io);
  } finally {
    finishWarnings(io);
  }
}

/** The exit status for what a verb threw; anything unexpected is rethrown (a bug: a stack trace). */
function failed(e: unknown, verb: string, command: Command, io: Io): number {
  if (e instanceof CfgvirtError) {
    // e.message is formatDiagnostics' text (bounded there); only its heads get colour.
    io.err(colorHeads(io, e.message) + "\n");
    return EXIT.usage;
  }
  if (e instanceof UsageError || (e instanceof TypeError && "code" in e && String(e.code).startsWith("ERR_PARSE_ARGS"))) {
    io.err(`cfgvirt ${verb}: ${paint(io, "error", "error")}: ${e.message}\n${command.help.split("\n")[0]}\n`);
    return EXIT.usage;
  }
  if (e instanceof Error && "code" in e && typeof e.code === "string" && /^E[A-Z]+$/.test(e.code) && "syscall" in e) {
    // A file the user named cannot be read (ENOENT, EISDIR, EACCES, ...).
    io.err(`cfgvirt ${verb}: ${paint(io, "error", "error")}: ${e.message}\n`);
    return EXIT.usage;
  }
  throw e;
}
