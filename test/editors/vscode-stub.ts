// A stand-in for the `vscode` module, enough of it for the extension and the
// real vscode-languageclient to start a server, open documents, receive
// diagnostics and call the providers the client registers. VS Code itself
// cannot be installed here; what this does not model (the editor UI, the
// extension host's own loading of package.json) is not tested by it.
import Module, { createRequire } from "node:module";
import { pathToFileURL, fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);

type Listener<T> = (e: T) => unknown;

export class Disposable {
  static from(...items: { dispose(): unknown }[]): Disposable {
    return new Disposable(() => items.forEach((i) => i.dispose()));
  }
  constructor(private readonly onDispose: () => unknown = () => {}) {}
  dispose(): void {
    this.onDispose();
  }
}

export class EventEmitter<T> {
  private listeners: Listener<T>[] = [];
  readonly event = (listener: Listener<T>, thisArg?: unknown, disposables?: Disposable[]): Disposable => {
    const bound: Listener<T> = (e) => listener.call(thisArg, e);
    this.listeners.push(bound);
    const d = new Disposable(() => (this.listeners = this.listeners.filter((l) => l !== bound)));
    disposables?.push(d);
    return d;
  };
  fire(e: T): void {
    for (const l of [...this.listeners]) l(e);
  }
  dispose(): void {
    this.listeners = [];
  }
}

export class Uri {
  private constructor(private readonly href: string) {}
  static parse(value: string): Uri {
    return new Uri(value);
  }
  static file(path: string): Uri {
    return new Uri(pathToFileURL(path).href);
  }
  get scheme(): string {
    return this.href.slice(0, this.href.indexOf(":"));
  }
  get fsPath(): string {
    return fileURLToPath(this.href);
  }
  get path(): string {
    return new URL(this.href).pathname;
  }
  toString(): string {
    return this.href;
  }
  toJSON(): string {
    return this.href;
  }
}

export class Position {
  constructor(readonly line: number, readonly character: number) {}
}

export class Range {
  readonly start: Position;
  readonly end: Position;
  constructor(a: number | Position, b: number | Position, c?: number, d?: number) {
    this.start = typeof a === "number" ? new Position(a, b as number) : a;
    this.end = typeof a === "number" ? new Position(c!, d!) : (b as Position);
  }
}

export class Location {
  constructor(readonly uri: Uri, readonly range: Range) {}
}

export enum DiagnosticSeverity { Error = 0, Warning = 1, Information = 2, Hint = 3 }
export enum DiagnosticTag { Unnecessary = 1, Deprecated = 2 }

export class Diagnostic {
  code?: string | number | { value: string | number; target: Uri };
  source?: string;
  constructor(readonly range: Range, readonly message: string, readonly severity: DiagnosticSeverity = DiagnosticSeverity.Error) {}
}

export class MarkdownString {
  isTrusted?: boolean;
  supportHtml?: boolean;
  constructor(public value = "", readonly supportThemeIcons = false) {}
  appendMarkdown(value: string): this {
    this.value += value;
    return this;
  }
  appendCodeblock(code: string, language = ""): this {
    this.value += `\n\`\`\`${language}\n${code}\n\`\`\`\n`;
    return this;
  }
}

export class Hover {
  readonly contents: MarkdownString[];
  constructor(contents: MarkdownString | MarkdownString[], readonly range?: Range) {
    this.contents = Array.isArray(contents) ? contents : [contents];
  }
}

export class CompletionItem {
  constructor(public label: string | { label: string }, public kind?: number) {}
}

export class CompletionList {
  constructor(readonly items: CompletionItem[] = [], readonly isIncomplete = false) {}
}

export class CancellationTokenSource {
  private readonly emitter = new EventEmitter<void>();
  readonly token = { isCancellationRequested: false, onCancellationRequested: this.emitter.event };
  cancel(): void {
    this.token.isCancellationRequested = true;
    this.emitter.fire();
  }
  dispose(): void {
    this.emitter.dispose();
  }
}

/** A text document as the client reads it: URI, language, version, text, and offsets for incremental changes. */
export class TextDocument {
  readonly isUntitled = false;
  readonly isClosed = false;
  readonly eol = 1;
  constructor(readonly uri: Uri, readonly languageId: string, public version: number, public text: string) {}
  get fileName(): string {
    return this.uri.fsPath;
  }
  get lineCount(): number {
    return this.text.split("\n").length;
  }
  getText(): string {
    return this.text;
  }
  offsetAt(p: Position): number {
    const lines = this.text.split("\n");
    let at = 0;
    for (let i = 0; i < p.line; i++) at += lines[i].length + 1;
    return at + p.character;
  }
  positionAt(offset: number): Position {
    const before = this.text.slice(0, offset).split("\n");
    return new Position(before.length - 1, before[before.length - 1].length);
  }
}

const BARE_CLASSES = [
  "CallHierarchyIncomingCall", "CallHierarchyItem", "CallHierarchyOutgoingCall", "CodeAction", "CodeActionKind", "CodeLens", "Color",
  "ColorInformation", "ColorPresentation", "DiagnosticRelatedInformation", "DocumentHighlight", "DocumentLink", "DocumentSymbol", "FoldingRange",
  "InlayHint", "InlayHintLabelPart", "InlineCompletionItem", "InlineCompletionList", "InlineValueEvaluatableExpression", "InlineValueText",
  "InlineValueVariableLookup", "LinkedEditingRanges", "ParameterInformation", "RelativePattern", "SelectionRange", "SemanticTokens",
  "SemanticTokensEdit", "SemanticTokensEdits", "SemanticTokensLegend", "SignatureHelp", "SignatureInformation", "SnippetString", "SnippetTextEdit",
  "SymbolInformation", "TabInputCustom", "TabInputNotebook", "TabInputText", "TabInputTextDiff", "TextEdit", "TypeHierarchyItem", "WorkspaceEdit",
];
const ENUMS = [
  "CodeActionTriggerKind", "CompletionItemKind", "CompletionTriggerKind", "DocumentHighlightKind", "FileType", "FoldingRangeKind", "InlayHintKind",
  "InlineCompletionTriggerKind", "SignatureHelpTriggerKind", "SymbolKind", "SymbolTag",
];

export interface DiagnosticSet {
  readonly name: string;
  readonly byUri: Map<string, readonly Diagnostic[]>;
}

interface DocumentFilter {
  readonly language?: string;
  readonly scheme?: string;
  readonly pattern?: string;
}

function match(selector: string | DocumentFilter | readonly (string | DocumentFilter)[], doc: TextDocument): number {
  const filters = Array.isArray(selector) ? selector : [selector];
  for (const f of filters as readonly (string | DocumentFilter)[]) {
    if (typeof f === "string" ? f === doc.languageId : (f.language ?? doc.languageId) === doc.languageId && (f.scheme ?? doc.uri.scheme) === doc.uri.scheme) return 10;
  }
  return 0;
}

/** The stub and the handles a test drives it by. */
export function createVscodeStub() {
  const settings = new Map<string, unknown>();
  const commands = new Map<string, (...args: unknown[]) => unknown>();
  const providers = new Map<string, unknown[]>();
  const diagnosticSets: DiagnosticSet[] = [];
  const errors: string[] = [];
  const output: string[] = [];
  const textDocuments: TextDocument[] = [];
  const workspaceFolders: { uri: Uri; name: string; index: number }[] = [];
  const onDidOpen = new EventEmitter<TextDocument>();
  const onDidChange = new EventEmitter<{ document: TextDocument; contentChanges: unknown[]; reason: undefined }>();
  const onDidClose = new EventEmitter<TextDocument>();
  const onDidChangeConfiguration = new EventEmitter<{ affectsConfiguration(section: string): boolean }>();
  const event = <T>() => new EventEmitter<T>().event;

  const outputChannel = (name: string) => {
    const log = (...parts: unknown[]) => void output.push(`${name}: ${parts.map(String).join(" ")}`);
    return { name, append: log, appendLine: log, replace: log, clear() {}, show() {}, hide() {}, dispose() {},
      trace: log, debug: log, info: log, warn: log, error: log, logLevel: 2, onDidChangeLogLevel: event<number>() };
  };
  const register = (kind: string) => (_selector: unknown, provider: unknown) => {
    providers.set(kind, [...(providers.get(kind) ?? []), provider]);
    return new Disposable(() => providers.set(kind, (providers.get(kind) ?? []).filter((p) => p !== provider)));
  };

  const api = {
    version: "1.91.0",
    Disposable, EventEmitter, Uri, Position, Range, Location, Diagnostic, DiagnosticSeverity, DiagnosticTag, MarkdownString, Hover,
    CompletionItem, CompletionList, CancellationTokenSource,
    CancellationError: class CancellationError extends Error {},
    LogLevel: { Off: 0, Trace: 1, Debug: 2, Info: 3, Warning: 4, Error: 5 },
    ProgressLocation: { SourceControl: 1, Window: 10, Notification: 15 },
    CompletionItemTag: { Deprecated: 1 },
    TextDocumentSaveReason: { Manual: 1, AfterDelay: 2, FocusOut: 3 },
    NotebookCellKind: { Markup: 1, Code: 2 },
    env: { appName: "cfgvirt test (vscode stub)", language: "en", machineId: "test", openExternal: async () => false },
    commands: {
      registerCommand(id: string, run: (...args: unknown[]) => unknown) {
        commands.set(id, run);
        return new Disposable(() => commands.delete(id));
      },
      executeCommand: async (id: string, ...args: unknown[]) => commands.get(id)?.(...args),
    },
    workspace: {
      get workspaceFolders() {
        return workspaceFolders.length > 0 ? workspaceFolders : undefined;
      },
      textDocuments,
      notebookDocuments: [],
      getConfiguration(section?: string) {
        const key = (k: string) => (section ? `${section}.${k}` : k);
        return { get: (k: string, dflt?: unknown) => (settings.has(key(k)) ? settings.get(key(k)) : dflt), has: (k: string) => settings.has(key(k)) };
      },
      onDidOpenTextDocument: onDidOpen.event,
      onDidChangeTextDocument: onDidChange.event,
      onDidCloseTextDocument: onDidClose.event,
      onDidSaveTextDocument: event<TextDocument>(),
      onWillSaveTextDocument: event<unknown>(),
      onDidChangeConfiguration: onDidChangeConfiguration.event,
      onDidChangeWorkspaceFolders: event<unknown>(),
      onDidOpenNotebookDocument: event<unknown>(),
      onDidChangeNotebookDocument: event<unknown>(),
      onDidSaveNotebookDocument: event<unknown>(),
      onDidCloseNotebookDocument: event<unknown>(),
      createFileSystemWatcher: () => ({ onDidCreate: event<Uri>(), onDidChange: event<Uri>(), onDidDelete: event<Uri>(), dispose() {} }),
      registerTextDocumentContentProvider: () => new Disposable(),
      applyEdit: async () => false,
    },
    window: {
      activeTextEditor: undefined,
      visibleTextEditors: [],
      tabGroups: { all: [], onDidChangeTabs: event<unknown>(), onDidChangeTabGroups: event<unknown>() },
      onDidChangeActiveTextEditor: event<unknown>(),
      onDidChangeVisibleTextEditors: event<unknown>(),
      createOutputChannel: outputChannel,
      showErrorMessage: async (message: string) => void errors.push(message),
      showWarningMessage: async (message: string) => void output.push(`warning: ${message}`),
      showInformationMessage: async (message: string) => void output.push(`info: ${message}`),
      showTextDocument: async () => undefined,
      withProgress: async <R>(_o: unknown, task: (p: { report(): void }, t: CancellationTokenSource["token"]) => Promise<R>) => task({ report() {} }, new CancellationTokenSource().token),
    },
    languages: {
      match,
      createDiagnosticCollection(name = "") {
        const set: DiagnosticSet = { name, byUri: new Map() };
        diagnosticSets.push(set);
        return {
          name,
          set: (uri: Uri | readonly [Uri, Diagnostic[]][], diagnostics?: readonly Diagnostic[]) => {
            if (Array.isArray(uri)) for (const [u, ds] of uri as readonly [Uri, Diagnostic[]][]) set.byUri.set(u.toString(), ds);
            else set.byUri.set((uri as Uri).toString(), diagnostics ?? []);
          },
          get: (uri: Uri) => set.byUri.get(uri.toString()),
          has: (uri: Uri) => set.byUri.has(uri.toString()),
          delete: (uri: Uri) => void set.byUri.delete(uri.toString()),
          clear: () => set.byUri.clear(),
          forEach: (f: (uri: Uri, ds: readonly Diagnostic[]) => void) => set.byUri.forEach((ds, u) => f(Uri.parse(u), ds)),
          dispose: () => diagnosticSets.splice(diagnosticSets.indexOf(set), 1),
        };
      },
      registerHoverProvider: register("hover"),
      registerDefinitionProvider: register("definition"),
      registerCompletionItemProvider: register("completion"),
    },
  };

  // The rest of what the client names. Its modules are compiled with
  // __importStar, which copies the module's own properties at load, so each
  // must exist up front: a bare class (some are extended at load) or an enum
  // whose members are their own names.
  const stub: Record<string, unknown> = { ...api };
  for (const name of BARE_CLASSES) stub[name] ??= { [name]: class {} }[name];
  for (const name of ENUMS) stub[name] ??= new Proxy({}, { get: (_t, k) => (typeof k === "string" ? k : undefined) });

  return {
    stub,
    settings,
    commands,
    providers,
    diagnosticSets,
    errors,
    output,
    addWorkspaceFolder(path: string) {
      workspaceFolders.push({ uri: Uri.file(path), name: path, index: workspaceFolders.length });
    },
    /** Open a document as VS Code does: it joins textDocuments and the open event fires. */
    open(path: string, languageId: string, text: string): TextDocument {
      const doc = new TextDocument(Uri.file(path), languageId, 1, text);
      textDocuments.push(doc);
      onDidOpen.fire(doc);
      return doc;
    },
    /** Replace a document's whole text (one incremental change covering it). */
    edit(doc: TextDocument, text: string) {
      const range = new Range(new Position(0, 0), doc.positionAt(doc.text.length));
      const rangeLength = doc.text.length;
      doc.text = text;
      doc.version++;
      onDidChange.fire({ document: doc, contentChanges: [{ range, rangeOffset: 0, rangeLength, text }], reason: undefined });
    },
    changeSetting(key: string, value: unknown) {
      settings.set(key, value);
      onDidChangeConfiguration.fire({ affectsConfiguration: (section: string) => key === section || key.startsWith(`${section}.`) });
    },
  };
}

export type VscodeStub = ReturnType<typeof createVscodeStub>;

const STUB_ID = "/@vscode-stub/vscode.cjs"; // never a file: the module is placed in require's cache

interface ModuleInternals {
  _resolveFilename(request: string, parent: unknown, isMain: boolean, options?: unknown): string;
}

/** Make `require("vscode")` return the stub, for every CommonJS module loaded after this (the extension, vscode-languageclient). */
export function installVscodeStub(stub: object): () => void {
  const internals = Module as unknown as ModuleInternals;
  const original = internals._resolveFilename;
  internals._resolveFilename = function (request, parent, isMain, options) {
    return request === "vscode" ? STUB_ID : original.call(this, request, parent, isMain, options);
  };
  const m = new Module(STUB_ID);
  m.filename = STUB_ID;
  m.loaded = true;
  m.exports = stub;
  require.cache[STUB_ID] = m;
  return () => {
    internals._resolveFilename = original;
    delete require.cache[STUB_ID];
  };
}
