// @ts-check
// The VS Code side of the cfgvirt language server: starts `cfgvirt lsp` over
// stdio for .rules files and hands it to vscode-languageclient, which turns
// the server's diagnostics, hover, definitions and completions into VS Code's.
// CommonJS without a build step, so that the folder is the extension as it is.
"use strict";
const { existsSync, readFileSync } = require("node:fs");
const { join } = require("node:path");
const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

/** @typedef {import("vscode-languageclient/node").ServerOptions} ServerOptions */
/** @typedef {import("vscode-languageclient/node").LanguageClientOptions} LanguageClientOptions */

const CLIENT_ID = "cfgvirt"; // also the prefix of the `cfgvirt.trace.server` setting the client reads
const LANGUAGE = "cfgvirt";

/** @type {LanguageClient | undefined} */
let client;

/**
 * How to start the server, from the `cfgvirt.server.command` setting (the
 * command and its arguments) when it is set; otherwise the first of:
 *   1. cfgvirt installed in a workspace folder (node_modules/.bin/cfgvirt);
 *   2. a workspace folder that is a built cfgvirt checkout (dist/src/cli.js),
 *      run by VS Code's own Node;
 *   3. `cfgvirt` on the PATH (npm install -g cfgvirt).
 * @param {readonly string[]} command the setting's value ([] when unset)
 * @param {readonly string[]} folders the workspace folders' paths
 * @returns {ServerOptions}
 */
function serverOptions(command, folders) {
  const windows = process.platform === "win32";
  if (command.length > 0) return { command: command[0], args: command.slice(1), transport: TransportKind.stdio, options: { shell: windows } };
  for (const folder of folders) {
    const bin = join(folder, "node_modules", ".bin", windows ? "cfgvirt.cmd" : "cfgvirt");
    if (existsSync(bin)) return { command: bin, args: ["lsp"], transport: TransportKind.stdio, options: { shell: windows } };
  }
  for (const folder of folders) {
    const cli = join(folder, "dist", "src", "cli.js");
    if (existsSync(cli) && packageName(folder) === "cfgvirt") return { module: cli, args: ["lsp"], transport: TransportKind.stdio };
  }
  return { command: "cfgvirt", args: ["lsp"], transport: TransportKind.stdio, options: { shell: windows } };
}

/** @param {string} folder */
function packageName(folder) {
  try {
    return /** @type {{ name?: unknown }} */ (JSON.parse(readFileSync(join(folder, "package.json"), "utf8"))).name;
  } catch {
    return undefined;
  }
}

/** @type {LanguageClientOptions} */
const clientOptions = {
  // Files on disk and unsaved ones: the server reads includes from the disk itself.
  documentSelector: [
    { scheme: "file", language: LANGUAGE },
    { scheme: "untitled", language: LANGUAGE },
  ],
};

/** A client for the current settings, started. */
async function startClient() {
  const setting = vscode.workspace.getConfiguration("cfgvirt").get("server.command");
  const command = Array.isArray(setting) ? setting.filter((s) => typeof s === "string") : [];
  const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === "file").map((f) => f.uri.fsPath);
  client = new LanguageClient(CLIENT_ID, "cfgvirt language server", serverOptions(command, folders), clientOptions);
  await client.start();
}

async function stopClient() {
  const running = client;
  client = undefined;
  // dispose, not stop: a restart makes a new client, and the old one's
  // diagnostics must go with it. A client whose server never started cannot
  // be stopped (the client throws); there is nothing to stop.
  if (!running?.needsStop()) return;
  try {
    await running.dispose();
  } catch {
    // The server did not answer `shutdown` in time (a loaded machine): the
    // client has logged it, counts itself stopped, and kills the process
    // itself; a restart or deactivation goes on.
  }
}

/** Start a client; when its server does not start, say what to set (highlighting and snippets work without it). */
async function startOrExplain() {
  try {
    await startClient();
  } catch (e) {
    void vscode.window.showErrorMessage(
      `cfgvirt: the language server did not start (${e instanceof Error ? e.message : String(e)}). Install cfgvirt (npm install -g cfgvirt) or set "cfgvirt.server.command".`,
    );
  }
}

async function restartClient() {
  await stopClient();
  await startOrExplain();
}

/**
 * @param {import("vscode").ExtensionContext} context
 * @returns {Promise<{ readonly client: LanguageClient | undefined }>} the running client, for other extensions and tests
 */
async function activate(context) {
  context.subscriptions.push(
    vscode.commands.registerCommand("cfgvirt.restartServer", restartClient),
    // A new server command takes a new client: the client keeps the options it was made with.
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration("cfgvirt.server.command")) void restartClient();
    }),
  );
  await startOrExplain();
  return {
    get client() {
      return client;
    },
  };
}

function deactivate() {
  return stopClient();
}

module.exports = { activate, deactivate, serverOptions };
