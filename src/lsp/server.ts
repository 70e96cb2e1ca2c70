// `cfgvirt lsp`: the Language Server Protocol over a pair of streams (stdio for
// editors, in-memory streams for tests). Diagnostics on open and change, hover,
// go-to-definition and completion; the work is in analysis.ts and features.ts.
import { fileURLToPath, pathToFileURL } from "node:url";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  type Connection,
  CompletionItemKind,
  createConnection,
  DiagnosticSeverity,
  MarkupKind,
  TextDocuments,
  TextDocumentSyncKind,
} from "vscode-languageserver/node";
import { TextDocument } from "vscode-languageserver-textdocument";
import type { Diagnostic } from "../diag/diagnostic.js";
import { packageRoot } from "../paths.js";
import { analyse, type Analysis } from "./analysis.js";
import { complete, type CompletionKind, definition, hover } from "./features.js";

const KINDS: Record<CompletionKind, CompletionItemKind> = {
  layout: CompletionItemKind.Module,
  register: CompletionItemKind.Struct,
  field: CompletionItemKind.Field,
  hook: CompletionItemKind.Function,
  attribute: CompletionItemKind.EnumMember,
  policy: CompletionItemKind.Keyword,
};

/** A file: URI's path; other schemes (untitled:) keep the URI as the name. */
function pathOf(uri: string): string {
  return uri.startsWith("file:") ? fileURLToPath(uri) : uri;
}

function toLspDiagnostic(doc: TextDocument, d: Diagnostic) {
  const start = d.span ? doc.positionAt(d.span.start) : { line: 0, character: 0 };
  const end = d.span ? doc.positionAt(Math.max(d.span.end, d.span.start + 1)) : { line: 0, character: 0 };
  return {
    range: { start, end },
    severity: d.severity === "error" ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
    code: d.code,
    source: "cfgvirt",
    message: d.help ? `${d.message}\nhelp: ${d.help}` : d.message,
  };
}

/** Serve one connection until it closes. */
export function serve(connection: Connection): void {
  const documents = new TextDocuments(TextDocument);
  const analyses = new Map<string, Analysis>();

  const analysisOf = (doc: TextDocument): Analysis => {
    const cached = analyses.get(doc.uri);
    if (cached && cached.text === doc.getText()) return cached;
    const a = analyse(pathOf(doc.uri), doc.getText(), cached);
    analyses.set(doc.uri, a);
    return a;
  };

  connection.onInitialize(() => ({
    capabilities: {
      textDocumentSync: TextDocumentSyncKind.Incremental,
      hoverProvider: true,
      definitionProvider: true,
      completionProvider: { triggerCharacters: [".", " ", "(", ","] },
    },
    serverInfo: { name: "cfgvirt", version: (JSON.parse(readFileSync(join(packageRoot, "package.json"), "utf8")) as { version: string }).version },
  }));

  documents.onDidChangeContent(({ document }) => {
    const a = analysisOf(document);
    void connection.sendDiagnostics({ uri: document.uri, version: document.version, diagnostics: a.diagnostics.map((d) => toLspDiagnostic(document, d)) });
  });
  documents.onDidClose(({ document }) => {
    analyses.delete(document.uri);
    void connection.sendDiagnostics({ uri: document.uri, diagnostics: [] });
  });

  connection.onHover(({ textDocument, position }) => {
    const doc = documents.get(textDocument.uri);
    if (!doc) return null;
    const h = hover(analysisOf(doc), doc.offsetAt(position));
    if (!h) return null;
    return { contents: { kind: MarkupKind.Markdown, value: h.markdown }, range: { start: doc.positionAt(h.start), end: doc.positionAt(h.end) } };
  });

  connection.onDefinition(({ textDocument, position }) => {
    const doc = documents.get(textDocument.uri);
    if (!doc) return null;
    const t = definition(analysisOf(doc), doc.offsetAt(position));
    if (!t) return null;
    const uri = pathToFileURL(t.path).href;
    const target = uri === doc.uri || t.path === pathOf(doc.uri) ? doc : TextDocument.create(uri, "cfgvirt", 0, readFileSync(t.path, "utf8"));
    return { uri: target === doc ? doc.uri : uri, range: { start: target.positionAt(t.start), end: target.positionAt(t.end) } };
  });

  connection.onCompletion(({ textDocument, position }) => {
    const doc = documents.get(textDocument.uri);
    if (!doc) return [];
    return complete(analysisOf(doc), doc.offsetAt(position)).map((c) => ({
      label: c.label,
      kind: KINDS[c.kind],
      detail: c.detail,
      documentation: c.documentation ? { kind: MarkupKind.Markdown, value: c.documentation } : undefined,
    }));
  });

  documents.listen(connection);
  connection.listen();
}

/** `cfgvirt lsp`: serve on stdin/stdout. */
export function startLanguageServer(input: NodeJS.ReadableStream = process.stdin, output: NodeJS.WritableStream = process.stdout): Connection {
  const connection = createConnection(input, output);
  serve(connection);
  return connection;
}
