// The JSON form of compiled templates, described by a zod schema: what
// `cfgvirt compile --json` prints and what loadTemplatesJson accepts back.
import { parse as parseJson, type ParseError, printParseErrorCode } from "jsonc-parser";
import { z } from "zod";
import { ATTRIBUTES } from "../syntax/ast.js";
import { CfgvirtError, error, SourceFile, type Span } from "../diag/diagnostic.js";
import type { Template } from "./template.js";
import { HOOK_NAMES, LINKS } from "./vocabulary.js";

const u32 = z.number().int().min(0).max(0xffffffff);
const width = z.union([z.literal(8), z.literal(16), z.literal(32)]);
const sourceRef = z.object({ path: z.string(), line: z.number().int().min(0) }).strict();

type GuardJson =
  | { op: "not"; operand: GuardJson }
  | { op: "and" | "or"; operands: GuardJson[] }
  | { op: "==" | "!=" | ">=" | "<=" | ">" | "<" | "nonzero"; path: string; layout?: string; offset: number; width: 8 | 16 | 32; lo: number; hi: number; value: number };

export const guardSchema: z.ZodType<GuardJson> = z.lazy(() =>
  z.union([
    z.object({ op: z.literal("not"), operand: guardSchema }).strict(),
    z.object({ op: z.enum(["and", "or"]), operands: z.array(guardSchema) }).strict(),
    z.object({
      op: z.enum(["==", "!=", ">=", "<=", ">", "<", "nonzero"]),
      path: z.string(),
      layout: z.string().optional(),
      offset: z.number().int().min(0).max(0xfff),
      width,
      lo: z.number().int().min(0).max(31),
      hi: z.number().int().min(0).max(31),
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

export const pieceSchema = z.object({
  register: z.string(),
  guard: z.number().int().min(-1),
  dword: z.number().int().min(0).max(1023),
  masks: masksSchema,
  inits: z.array(initSchema),
  hooks: z.array(z.object({ hook: hookName, mask: u32 }).strict()),
}).strict();

export const fieldInfoSchema = z.object({
  register: z.string(),
  field: z.string().optional(),
  offset: z.number().int().min(0).max(0xfff),
  width,
  hi: z.number().int().min(0).max(31),
  lo: z.number().int().min(0).max(31),
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

export const templateSchema = z.object({
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

export const compiledJsonSchema = z.object({
  format: z.literal("cfgvirt-templates/1"),
  templates: z.array(templateSchema),
}).strict();

export type CompiledJson = z.infer<typeof compiledJsonSchema>;

export function templatesToJson(templates: readonly Template[]): CompiledJson {
  return { format: "cfgvirt-templates/1", templates: templates.map((t) => JSON.parse(JSON.stringify(t))) };
}

/** Where in the JSON text a path of keys points, for a positioned error. */
function locate(source: SourceFile, path: readonly PropertyKey[]): Span {
  // Find the last key of the path in the text after the previous ones: good enough to point at the right line.
  let pos = 0;
  for (const key of path) {
    if (typeof key !== "string") continue;
    const at = source.text.indexOf(`"${key}"`, pos);
    if (at >= 0) pos = at;
  }
  return { source, start: pos, end: pos + 1 };
}

/** Parse and validate compiled-template JSON; every problem gets a position. */
export function loadTemplatesJson(path: string, text: string): Template[] {
  const source = new SourceFile(path, text);
  const syntax: ParseError[] = [];
  const data: unknown = parseJson(text, syntax, { allowTrailingComma: false, disallowComments: true });
  if (syntax.length > 0) {
    throw new CfgvirtError(
      syntax.slice(0, 10).map((p) =>
        error("J001", `not valid JSON: ${printParseErrorCode(p.error)}`, { source, start: p.offset, end: p.offset + Math.max(1, p.length) }),
      ),
    );
  }
  const r = compiledJsonSchema.safeParse(data);
  if (!r.success) {
    throw new CfgvirtError(
      r.error.issues.slice(0, 20).map((i) =>
        error("J002", `${i.path.join(".") || "(top)"}: ${i.message}`, locate(source, i.path), "produce this file with `cfgvirt compile --json`"),
      ),
    );
  }
  return r.data.templates as Template[];
}
