import type { Command } from "./command.js";

export const lspCommand: Command = {
  name: "lsp",
  summary: "language server for editors (LSP over stdio)",
  help: `usage: cfgvirt lsp [--stdio]

Runs a Language Server Protocol server on stdin/stdout for rule files:
diagnostics as you type, hover, go-to-definition and completion.
`,
  async run() {
    const { startLanguageServer } = await import("../lsp/server.js");
    startLanguageServer();
    return new Promise<number>(() => {});
  },
};
