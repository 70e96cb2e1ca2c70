// Starts `cfgvirt lsp` (or the configured command) for .rules files.
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

exports.activate = function activate() {
  const [command, ...args] = vscode.workspace.getConfiguration("cfgvirt").get("server.command") ?? ["cfgvirt", "lsp"];
  client = new LanguageClient("cfgvirt", "cfgvirt language server", { command, args }, { documentSelector: [{ language: "cfgvirt" }] });
  return client.start();
};

exports.deactivate = function deactivate() {
  return client?.stop();
};
