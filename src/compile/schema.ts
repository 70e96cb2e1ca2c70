// The JSON form of compiled rules, described by zod schemas: what `cfgvirt
// compile --json` prints, what `--rules FILE.json` and validateCompiledJson
// accept back, and (with the hash of its inputs) the precompiled standard
// library. zod and jsonc-parser are required on first use, not imported: a
// tool that reads only the build's own precompiled library (checked by its
// content hash, see stdlib-cache.ts) never loads them (~70 ms cold).
import { createRequire } from "node:module";
import type * as Jsonc from "jsonc-parser";
import type * as Zod from "zod";
import { ATTRIBUTES, type Attribute } from "../syntax/ast.js";
import { CfgvirtError, error, SourceFile, type Span } from "../diag/diagnostic.js";
import type { SourceRef, Template } from "./template.js";
import { HOOK_NAMES, LINKS } from "./vocabulary.js";

export const COMPILED_FORMAT = "cfgvirt-compiled/1";

/** A device file's `match` line, without its position. */
export type MatchJson =
  | { kind: "ids"; vendor?: number; device?: number; subsystemVendor?: number; subsystem?: number }
  | { kind: "class"; value: number; mask: number };

/** One device file, compiled: its policy, the templates its overrides changed, and every layout's visibility. */
export interface DeviceJson {
  name: string;
  source: SourceRef;
  /** A device file of the standard library (never the user's own: no W001 for it). */
  standard: boolean;
  /** Where the device file starts, with that line, for warnings about it. */
  at: SpanJson;
  matches: MatchJson[];
  allow: string[];
  hide: string[];
  barSizes: (number | null)[];
  romSize?: number;
  passBytes: { first: number; last: number; attribute: Attribute }[];
  permissive: boolean;
  reassign: boolean;
  /** Its statements' kinds (allow, hide, override, ids, bar, rom, pass, ...), for the warnings. */
  statements: string[];
  overridden: Template[];
  visibility: [string, { visible: boolean; reason: string }][];
}

/** A place in a rule file, with its line's text: enough to print a diagnostic without the file. */
export interface SpanJson {
  path: string;
  line: number;
  col: number;
  length: number;
  text: string;
}

/** A rule warning found when the rules compiled, with the source line it points at. */
export interface WarningJson {
  code: string;
  message: string;
  help?: string;
  at?: SpanJson;
}

export interface CompiledJson {
  format: typeof COMPILED_FORMAT;
  /** The precompiled standard library only: the hash of the rules, grammar and compiler it came from. */
  hash?: string;
  templates: Template[];
  devices: DeviceJson[];
  warnings: WarningJson[];
}

type GuardJson =
  | { op: "not"; operand: GuardJson }
  | { op: "and" | "or"; operands: GuardJson[] }
  | { op: "==" | "!=" | ">=" | "<=" | ">" | "<" | "nonzero"; path: string; layout?: string; offset: number; width: 8 | 16 | 32; lo: number; hi: number; value: number };

const requireCjs = createRequire(import.meta.url);

function buildSchemas(z: typeof Zod.z) {
  const u32 = z.number().int().min(0).max(0xffffffff);
  const width = z.union([z.literal(8), z.literal(16), z.literal(32)]);
  const sourceRef = z.object({ path: z.string(), line: z.number().int().min(0) }).strict();

  /** A field's place: its register's offset and width, and its bits in it. */
  const bitsAt = {
    offset: z.number().int().min(0).max(0xfff),
    width,
    hi: z.number().int().min(0).max(31),
    lo: z.number().int().min(0).max(31),
  };

  const guardSchema: Zod.ZodType<GuardJson> = z.lazy(() =>
    z.union([
      z.object({ op: z.literal("not"), operand: guardSchema }).strict(),
      z.object({ op: z.enum(["and", "or"]), operands: z.array(guardSchema) }).strict(),
      z.object({
        op: z.enum(["==", "!=", ">=", "<=", ">", "<", "nonzero"]),
        path: z.string(),
        layout: z.string().optional(),
        ...bitsAt,
        value: u32,
      }).strict(),
    ]),
  );

  const masksSchema = z.object({
    covered: u32, snapshot: u32, hwRead: u32, virtRead: u32, virtWrite: u32, virtW1C: u32, hwWrite: u32, preserve: u32,
    attrWritable: u32, attrW1C: u32, attrRsvdZ: u32,
  }).strict();
  const initSchema = z.object({ mask: u32, kind: z.enum(["hw", "const", "link"]), value: u32, link: z.string().optional() }).strict()
    .refine((i) => (i.kind === "link") === (i.link !== undefined) && (i.link === undefined || Object.hasOwn(LINKS, i.link)), {
      message: `a "link" init names one of ${Object.keys(LINKS).join(", ")}, and only a "link" init has one`,
      path: ["link"],
    });
  const hookName = z.enum(HOOK_NAMES as [string, ...string[]]);
  const policyKind = z.enum(["pass", "emulate", "hide", "trap"]);

  const pieceSchema = z.object({
    register: z.string(),
    guard: z.number().int().min(-1),
    dword: z.number().int().min(0).max(1023),
    masks: masksSchema,
    inits: z.array(initSchema),
    hooks: z.array(z.object({ hook: hookName, mask: u32 }).strict()),
  }).strict();

  const fieldInfoSchema = z.object({
    register: z.string(),
    field: z.string().optional(),
    ...bitsAt,
    attribute: z.enum(ATTRIBUTES),
    policy: policyKind,
    detail: z.string(),
    guard: z.number().int().min(-1),
    doc: z.string().optional(),
    registerDoc: z.string().optional(),
    registerSpec: z.string().optional(),
    source: sourceRef,
    overriddenBy: sourceRef.optional(),
  }).strict();

  const templateSchema = z.object({
    name: z.string(),
    kind: z.enum(["header", "capability", "extended"]),
    id: z.number().int().min(0).max(0xffff),
    otherIds: z.array(z.number().int().min(0).max(0xffff)).optional(),
    doc: z.string().optional(),
    size: z.union([
      z.object({ kind: z.literal("fixed"), bytes: z.number().int().min(0).max(4096) }).strict(),
      z.object({ kind: z.literal("registers") }).strict(),
      z.object({
        kind: z.literal("field"), path: z.string(), layout: z.string().optional(), offset: z.number().int().min(0), width, lo: z.number().int(), hi: z.number().int(),
        scale: z.number().int().min(1), add: z.number().int().min(0), minimum: z.number().int().min(0),
      }).strict(),
    ]),
    hiddenReason: z.string().optional(),
    spec: z.string().optional(),
    source: sourceRef,
    guards: z.array(guardSchema),
    pieces: z.array(pieceSchema),
    fields: z.array(fieldInfoSchema),
    rest: z.object({
      attribute: z.enum(ATTRIBUTES), policy: policyKind, detail: z.string(), masks: masksSchema, init: initSchema.optional(), source: sourceRef,
    }).strict().optional(),
  }).strict().superRefine((t, ctx) => {
    // A piece or field names its guard by index into this template's guards.
    const check = (guard: number, path: (string | number)[]) => {
      if (guard >= t.guards.length) ctx.addIssue({ code: "custom", path, message: `guard index ${guard} is past the template's ${t.guards.length} guards` });
    };
    t.pieces.forEach((p, i) => check(p.guard, ["pieces", i, "guard"]));
    t.fields.forEach((f, i) => check(f.guard, ["fields", i, "guard"]));
  });

  const sourceLine = z.object({ path: z.string(), line: z.number().int().min(0) }).strict();
    const matchSchema = z.union([
      z.object({ kind: z.literal("ids"), vendor: z.number().int().optional(), device: z.number().int().optional(), subsystemVendor: z.number().int().optional(), subsystem: z.number().int().optional() }).strict(),
      z.object({ kind: z.literal("class"), value: z.number().int(), mask: z.number().int() }).strict(),
    ]);
    const spanJson = z.object({ path: z.string(), line: z.number().int().min(1), col: z.number().int().min(1), length: z.number().int().min(1), text: z.string() }).strict();
    const deviceSchema = z.object({
      name: z.string(),
      source: sourceLine,
      standard: z.boolean(),
      at: spanJson,
      matches: z.array(matchSchema),
      allow: z.array(z.string()),
      hide: z.array(z.string()),
      barSizes: z.array(z.number().int().min(0).nullable()).max(6),
      romSize: z.number().int().min(0).optional(),
      passBytes: z.array(z.object({ first: z.number().int().min(0).max(0xfff), last: z.number().int().min(0).max(0xfff), attribute: z.enum(ATTRIBUTES) }).strict()),
      permissive: z.boolean(),
      reassign: z.boolean(),
      statements: z.array(z.string()),
      overridden: z.array(templateSchema),
      visibility: z.array(z.tuple([z.string(), z.object({ visible: z.boolean(), reason: z.string() }).strict()])),
    }).strict();
    const warningSchema = z.object({
      code: z.string().regex(/^W\d{3}$/),
      message: z.string(),
      help: z.string().optional(),
      at: spanJson.optional(),
    }).strict();
    const compiledJsonSchema = z.object({
      format: z.literal(COMPILED_FORMAT),
      hash: z.string().optional(),
      templates: z.array(templateSchema),
      devices: z.array(deviceSchema),
      warnings: z.array(warningSchema),
    }).strict().superRefine((c, ctx) => {
      // What a device file names must exist: attach looks templates up by these names.
      const names = new Set(c.templates.map((t) => t.name));
      c.devices.forEach((d, i) => {
        for (const key of ["allow", "hide"] as const) {
          d[key].forEach((n, j) => { if (!names.has(n)) ctx.addIssue({ code: "custom", path: ["devices", i, key, j], message: `no layout named \`${n}\`` }); });
        }
        d.overridden.forEach((t, j) => { if (!names.has(t.name)) ctx.addIssue({ code: "custom", path: ["devices", i, "overridden", j, "name"], message: `no layout named \`${t.name}\`` }); });
        d.visibility.forEach(([n], j) => { if (!names.has(n)) ctx.addIssue({ code: "custom", path: ["devices", i, "visibility", j, 0], message: `no layout named \`${n}\`` }); });
      });
    });
    return { guardSchema, pieceSchema, fieldInfoSchema, templateSchema, compiledJsonSchema };
  }


type Schemas = ReturnType<typeof buildSchemas>;
let schemas: Schemas | undefined;

/** The zod schemas of compiled rules (zod is loaded on the first call). */
export function compiledSchemas(): Schemas {
  return (schemas ??= buildSchemas((requireCjs("zod") as typeof Zod).z));
}

/** Templates alone as a compiled document (no device files, no warnings). */
export function templatesToJson(templates: readonly Template[]): CompiledJson {
  return { format: COMPILED_FORMAT, templates: templates.map((t) => JSON.parse(JSON.stringify(t)) as Template), devices: [], warnings: [] };
}

/** Where in the JSON text a zod issue's path points: the value itself when it exists, else its nearest parent. */
function locate(jsonc: typeof Jsonc, root: Jsonc.Node | undefined, source: SourceFile, path: readonly PropertyKey[]): Span {
  const keys = path.filter((k): k is string | number => typeof k === "string" || typeof k === "number");
  for (let n = keys.length; n >= 0 && root; n--) {
    const node = jsonc.findNodeAtLocation(root, keys.slice(0, n));
    if (node) {
      // A property's value: point at its key, where a reader looks.
      const at = node.parent?.type === "property" && node.parent.children?.[1] === node ? node.parent : node;
      return { source, start: at.offset, end: at.offset + Math.max(1, Math.min(at.length, 40)) };
    }
  }
  return { source, start: 0, end: 1 };
}

/**
 * Parse and validate compiled-rules JSON; every problem gets a position
 * (`file:line:col: error[J002]: devices.0.overridden.3.pieces.1.masks.hwRead: ...`).
 */
export function validateCompiledJson(path: string, text: string): CompiledJson {
  const source = new SourceFile(path, text);
  let data: unknown;
  try {
    // JSON.parse is ~80x faster than jsonc-parser on a compiled library (0.5 MB); jsonc-parser only positions what it refused.
    data = JSON.parse(text);
  } catch (e) {
    const jsonc = requireCjs("jsonc-parser") as typeof Jsonc;
    const syntax: Jsonc.ParseError[] = [];
    jsonc.parse(text, syntax, { allowTrailingComma: false, disallowComments: true });
    const at = (offset: number, length: number): Span => ({ source, start: offset, end: offset + Math.max(1, length) });
    throw new CfgvirtError(
      syntax.length > 0
        ? syntax.slice(0, 10).map((p) => error("J001", `not valid JSON: ${jsonc.printParseErrorCode(p.error)}`, at(p.offset, p.length)))
        : [error("J001", `not valid JSON: ${(e as Error).message}`, at(0, 1))],
    );
  }
  const r = compiledSchemas().compiledJsonSchema.safeParse(data);
  if (!r.success) {
    const jsonc = requireCjs("jsonc-parser") as typeof Jsonc;
    const root = jsonc.parseTree(text);
    throw new CfgvirtError(
      r.error.issues.slice(0, 20).map((i) =>
        error("J002", `${i.path.join(".") || "(top)"}: ${i.message}`, locate(jsonc, root, source, i.path), "produce this file with `cfgvirt compile --json`"),
      ),
    );
  }
  return r.data as unknown as CompiledJson;
}

/** The templates of a compiled document, validated as validateCompiledJson does. */
export function loadTemplatesJson(path: string, text: string): Template[] {
  return validateCompiledJson(path, text).templates;
}
