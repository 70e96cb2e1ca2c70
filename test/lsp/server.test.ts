// The language server driven by a JSON-RPC client, in process over streams
// (and once as the `cfgvirt lsp` process): diagnostics on open and change,
// hover, go-to-definition, completion.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { PassThrough } from "node:stream";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from "vscode-jsonrpc/node";
import { startLanguageServer } from "../../src/lsp/server.js";
import { CLI_JS } from "../helpers/dist.js";

interface LspDiagnostic {
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
  code: string;
  message: string;
  severity: number;
}
interface Published {
  uri: string;
  diagnostics: LspDiagnostic[];
}
interface HoverResult {
  contents: { kind: string; value: string };
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
}
interface Location {
  uri: string;
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
}

/** A client over a pair of streams, collecting published diagnostics by URI. */
function client(toServer: NodeJS.WritableStream, fromServer: NodeJS.ReadableStream) {
  const conn = createMessageConnection(new StreamMessageReader(fromServer), new StreamMessageWriter(toServer));
  const published: Published[] = [];
  const waiters: { uri: string; resolve: (p: Published) => void; after: number }[] = [];
  conn.onNotification("textDocument/publishDiagnostics", (p: Published) => {
    published.push(p);
    for (const w of waiters.splice(0)) {
      if (w.uri === p.uri && published.length > w.after) w.resolve(p);
      else waiters.push(w);
    }
  });
  conn.listen();
  const nextDiagnostics = (uri: string) => new Promise<Published>((res) => waiters.push({ uri, resolve: res, after: published.length }));
  return { conn, nextDiagnostics };
}

/** A language server in this process and a client connected to it. */
function inProcess() {
  const toServer = new PassThrough();
  const fromServer = new PassThrough();
  startLanguageServer(toServer, fromServer);
  return client(toServer, fromServer);
}

const uri = (p: string) => pathToFileURL(resolve(p)).href;
const DOC = resolve("test/lsp/fixture.rules");
const DOC_URI = uri(DOC);

/** The 0-based line and character of the first `needle` in `text` (plus `delta` characters). */
function pos(text: string, needle: string, delta = 0) {
  const at = text.indexOf(needle) + delta;
  if (at < delta) throw new Error(`no ${needle}`);
  const line = text.slice(0, at).split("\n").length - 1;
  return { line, character: at - text.lastIndexOf("\n", at - 1) - 1 };
}

const TEXT = [
  'include "msi.rules"',
  "",
  "# A vendor capability for the test.",
  "capability widget id 0x0e {",
  '  spec "Widget Spec 1.0 §2"',
  "  register header @ 0x00 u16 { [7:0] id RO pass; [15:8] next RO emulate(next) }",
  "  register control @ 0x02 u16 {",
  "    [0] enable RW1C trap(msi_enable)  # the platform owns it",
  "    [1] mode RO pass",
  "    [15:2] - RsvdP hide",
  "  }",
  "  when control.mode {",
  "    register extra @ 0x04 u16 { [15:0] value RO pass }",
  "  }",
  "}",
  'device "d" match 8086:* {',
  "  allow widget",
  "  override pcie.device_control.max_read_request_size hide",
  "}",
  "",
].join("\n");

describe("cfgvirt lsp, in process", () => {
  let c: ReturnType<typeof client>;
  beforeAll(async () => {
    c = inProcess();
    const init = (await c.conn.sendRequest("initialize", { processId: null, rootUri: null, capabilities: {} })) as { capabilities: Record<string, unknown> };
    expect(init.capabilities).toMatchObject({ hoverProvider: true, definitionProvider: true });
    await c.conn.sendNotification("initialized", {});
  }, 30_000);
  afterAll(async () => {
    await c.conn.sendRequest("shutdown");
    c.conn.dispose();
  });

  it("publishes no diagnostics for a good document, and the errors of a bad edit", async () => {
    const first = c.nextDiagnostics(DOC_URI);
    await c.conn.sendNotification("textDocument/didOpen", { textDocument: { uri: DOC_URI, languageId: "cfgvirt", version: 1, text: TEXT } });
    expect((await first).diagnostics).toEqual([]);

    const bad = TEXT.replace("[0] enable RW1C", "[0] enable RWC").replace("allow widget", "hidee widget");
    const second = c.nextDiagnostics(DOC_URI);
    await c.conn.sendNotification("textDocument/didChange", { textDocument: { uri: DOC_URI, version: 2 }, contentChanges: [{ text: bad }] });
    const ds = (await second).diagnostics;
    expect(ds.map((d) => [d.code, d.range.start.line, d.range.start.character, d.range.end.character, d.message.split("\n")[0]])).toEqual([
      ["E001", 7, 15, 18, "unknown attribute `RWC`; did you mean `RW1C`?"],
      ["E001", 16, 2, 7, "unknown statement `hidee`; did you mean `hide`?"],
    ]);
    expect(ds[0].severity).toBe(1);

    const typo = TEXT.replace("max_read_request_size", "max_read_request");
    const third = c.nextDiagnostics(DOC_URI);
    await c.conn.sendNotification("textDocument/didChange", { textDocument: { uri: DOC_URI, version: 3 }, contentChanges: [{ text: typo }] });
    expect((await third).diagnostics.map((d) => [d.code, d.range.start.line, d.message])).toEqual([
      ["E110", 17, "override matches nothing: register pcie.device_control has no field `max_read_request`\nhelp: did you mean `max_read_request_size`?"],
    ]);

    const back = c.nextDiagnostics(DOC_URI);
    await c.conn.sendNotification("textDocument/didChange", { textDocument: { uri: DOC_URI, version: 4 }, contentChanges: [{ text: TEXT }] });
    expect((await back).diagnostics).toEqual([]);
  });

  const hoverAt = async (needle: string, delta = 0) =>
    (await c.conn.sendRequest("textDocument/hover", { textDocument: { uri: DOC_URI }, position: pos(TEXT, needle, delta) })) as HoverResult | null;

  it("hover: attribute, policy, hook, keyword", async () => {
    expect((await hoverAt("RW1C"))!.contents.value).toBe("**RW1C**: Write 1 to clear: reading returns status; writing 1 clears a bit, writing 0 has no effect.");
    expect((await hoverAt("hide\n  }"))!.contents.value).toMatch(/^\*\*hide\*\*`\(VALUE\)`: the guest reads a constant/);
    expect((await hoverAt("msi_enable)"))!.contents.value).toMatch(/^\*\*hook\*\* `msi_enable`: MSI Enable/);
    expect((await hoverAt("allow"))!.contents.value).toMatch(/^`allow CAP, \.\.\.`/);
  });

  it("hover: a field shows its bits, attribute, policy, spec citation and comments", async () => {
    const h = (await hoverAt("enable RW1C"))!;
    expect(h.contents.value).toContain("**field** `widget.control.enable` [0] of a u16 @ 0x02: `RW1C` `trap(msi_enable)`");
    expect(h.contents.value).toContain("Spec: Widget Spec 1.0 §2");
    expect(h.contents.value).toContain("Hook `msi_enable`: MSI Enable");
    expect(h.contents.value).toContain("the platform owns it");
    expect(h.range).toEqual({ start: pos(TEXT, "enable RW1C"), end: pos(TEXT, "enable RW1C", 6) });
  });

  it("hover: a layout in a device file and a path into the standard library", async () => {
    expect((await hoverAt("allow widget", 6))!.contents.value).toMatch(/^\*\*capability\*\* `widget` \(ID 0x0e\)\n\nSpec: Widget Spec 1\.0 §2\n\nA vendor capability for the test\./);
    const f = (await hoverAt("max_read_request_size"))!.contents.value;
    expect(f).toMatch(/^\*\*field\*\* `pcie\.device_control\.max_read_request_size` \[14:12\] of a u16 @ 0x08: `RW` `emulate`/);
    expect(f).toMatch(/rules\/pcie\.rules:\d+$/);
    const r = (await hoverAt("device_control"))!.contents.value;
    expect(r).toMatch(/^\*\*register\*\* `pcie\.device_control` @ 0x08, u16/);
    expect(r).toContain("| [14:12] | max_read_request_size | RW | emulate |");
  });

  const definitionAt = async (needle: string, delta = 0) =>
    (await c.conn.sendRequest("textDocument/definition", { textDocument: { uri: DOC_URI }, position: pos(TEXT, needle, delta) })) as Location | null;

  it("go to definition: an include, a layout, a register and field in a guard, a standard-library field", async () => {
    expect(await definitionAt("msi.rules", 2)).toEqual({ uri: uri("rules/msi.rules"), range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } } });
    expect(await definitionAt("allow widget", 6)).toEqual({ uri: DOC_URI, range: { start: pos(TEXT, "widget id"), end: pos(TEXT, "widget id", 6) } });
    expect(await definitionAt("control.mode {", 9)).toEqual({ uri: DOC_URI, range: { start: pos(TEXT, "mode RO"), end: pos(TEXT, "mode RO", 4) } });
    const std = (await definitionAt("max_read_request_size"))!;
    expect(std.uri).toBe(uri("rules/pcie.rules"));
    const pcie = readFileSync("rules/pcie.rules", "utf8").split("\n");
    expect(pcie[std.range.start.line].slice(std.range.start.character, std.range.end.character)).toBe("max_read_request_size");
    expect(await definitionAt("# A vendor")).toBeNull();
  });

  const completeAt = async (text: string, line: number, character: number) => {
    const next = c.nextDiagnostics(DOC_URI);
    await c.conn.sendNotification("textDocument/didChange", { textDocument: { uri: DOC_URI, version: Date.now() }, contentChanges: [{ text }] });
    await next;
    const items = (await c.conn.sendRequest("textDocument/completion", { textDocument: { uri: DOC_URI }, position: { line, character } })) as { label: string; kind: number; detail?: string }[];
    return items;
  };

  it("completion: LAYOUT.REGISTER.FIELD in override, layouts in allow/hide, hooks", async () => {
    const lines = TEXT.split("\n");
    const withLine = (n: number, l: string) => [...lines.slice(0, n), l, ...lines.slice(n + 1)].join("\n");
    const layouts = await completeAt(withLine(17, "  override pc"), 17, 13);
    expect(layouts.map((i) => i.label)).toEqual(expect.arrayContaining(["pcie", "msi", "widget", "type0"]));
    const regs = await completeAt(withLine(17, "  override pcie."), 17, 16);
    expect(regs.map((i) => i.label)).toEqual(expect.arrayContaining(["device_control", "link_status"]));
    const fields = await completeAt(withLine(17, "  override pcie.device_control."), 17, 31);
    expect(fields.find((i) => i.label === "max_read_request_size")).toMatchObject({ kind: 5, detail: "[14:12] RW emulate" });
    const caps = await completeAt(withLine(16, "  hide sriov, "), 16, 14);
    expect(caps.map((i) => i.label)).toEqual(expect.arrayContaining(["widget", "sriov", "aer"]));
    expect(caps.map((i) => i.label)).not.toContain("type0");
    const hooks = await completeAt(withLine(7, "    [0] enable RW1C trap("), 7, 25);
    expect(hooks.map((i) => i.label)).toContain("msix_control");
    const guard = await completeAt(withLine(11, "  when control."), 11, 15);
    expect(guard.map((i) => i.label)).toEqual(["enable", "mode"]);
  });
});

describe("cfgvirt lsp, on the project's own files", () => {
  let c: ReturnType<typeof client>;
  beforeAll(async () => {
    c = inProcess();
    await c.conn.sendRequest("initialize", { processId: null, rootUri: null, capabilities: {} });
  }, 30_000);
  afterAll(async () => {
    await c.conn.sendRequest("shutdown");
    c.conn.dispose();
  });

  const open = async (path: string, text: string, version = 1) => {
    const d = c.nextDiagnostics(uri(path));
    if (version === 1) await c.conn.sendNotification("textDocument/didOpen", { textDocument: { uri: uri(path), languageId: "cfgvirt", version, text } });
    else await c.conn.sendNotification("textDocument/didChange", { textDocument: { uri: uri(path), version }, contentChanges: [{ text }] });
    return (await d).diagnostics;
  };

  it("a standard-library file being edited replaces its saved self: no duplicates, and its own errors", async () => {
    const text = readFileSync("rules/msi.rules", "utf8");
    expect(await open("rules/msi.rules", text)).toEqual([]);
    const bad = text.replace("trap(msi_enable", "trap(msi_enabel");
    const ds = await open("rules/msi.rules", bad, 2);
    expect(ds.map((d) => [d.code, d.message])).toEqual([["E105", "unknown hook `msi_enabel`\nhelp: did you mean `msi_enable`?"]]);
  });

  it("a register block's registers are seen through the layout that uses it", async () => {
    const path = "test/lsp/blocks.rules";
    const text = 'registers common {\n  register control @ 0x02 u16 { [0] go RW pass; [15:1] - RsvdP hide }\n}\ncapability thing id 0x0e {\n  use common\n}\ndevice "d" match 8086:* {\n  override thing.control.go hide\n}\n';
    expect(await open(path, text)).toEqual([]);
    const h = (await c.conn.sendRequest("textDocument/hover", { textDocument: { uri: uri(path) }, position: pos(text, "go RW") })) as HoverResult;
    expect(h.contents.value).toMatch(/^\*\*field\*\* `thing\.control\.go` \[0\]/);
    const d = (await c.conn.sendRequest("textDocument/definition", { textDocument: { uri: uri(path) }, position: pos(text, "go hide") })) as Location;
    expect(d).toEqual({ uri: uri(path), range: { start: pos(text, "go RW"), end: pos(text, "go RW", 2) } });
    const u = (await c.conn.sendRequest("textDocument/hover", { textDocument: { uri: uri(path) }, position: pos(text, "use") })) as HoverResult;
    expect(u.contents.value).toMatch(/^`use NAME`/);
  });

  it("in an image, a register path is the enclosing block's layout's", async () => {
    const text = readFileSync("examples/nic.rules", "utf8");
    expect(await open("examples/nic.rules", text)).toEqual([]);
    const h = (await c.conn.sendRequest("textDocument/hover", { textDocument: { uri: uri("examples/nic.rules") }, position: pos(text, "fast_b2b_capable") })) as HoverResult;
    expect(h.contents.value).toMatch(/^\*\*field\*\* `type0\.status\.fast_b2b_capable`/);
    const d = (await c.conn.sendRequest("textDocument/definition", { textDocument: { uri: uri("examples/nic.rules") }, position: pos(text, "capability pm", 11) })) as Location;
    expect(d.uri).toBe(uri("rules/pm.rules"));
  });
});

describe("cfgvirt lsp, as a process", () => {
  it("answers initialize and publishes diagnostics over stdio", async () => {
    const child = spawn(process.execPath, [CLI_JS, "lsp"], { stdio: ["pipe", "pipe", "inherit"] });
    try {
      const c = client(child.stdin, child.stdout);
      const init = (await c.conn.sendRequest("initialize", { processId: null, rootUri: null, capabilities: {} })) as { serverInfo: { name: string } };
      expect(init.serverInfo.name).toBe("cfgvirt");
      await c.conn.sendNotification("initialized", {});
      const u = uri("test/lsp/untitled.rules");
      const d = c.nextDiagnostics(u);
      await c.conn.sendNotification("textDocument/didOpen", { textDocument: { uri: u, languageId: "cfgvirt", version: 1, text: 'device "x" match 8086:* {\n  hidee vpd\n}\n' } });
      expect((await d).diagnostics.map((x) => x.message.split("\n")[0])).toEqual(["unknown statement `hidee`; did you mean `hide`?"]);
      await c.conn.sendRequest("shutdown");
      const exited = new Promise<number | null>((res) => child.on("exit", (code) => res(code)));
      await c.conn.sendNotification("exit");
      expect(await exited).toBe(0);
      c.conn.dispose();
    } finally {
      child.kill();
    }
  }, 60_000);
});
