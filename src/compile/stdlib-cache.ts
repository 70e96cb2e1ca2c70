// The standard library, compiled ahead of time. `npm run build` writes it next
// to the compiled code; a tool that needs only the standard library (a dump
// viewed, fuzzed or served) loads it, validated by zod, instead of parsing 40
// rule files. It is used only while it matches both the rule files and the
// compiler that wrote it (a content hash of each); otherwise, or when anything
// asks for the syntax trees (the reference interpreter, docs, a device file's
// own overrides), the rules compile as usual.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { SourceFile, type Span } from "../diag/diagnostic.js";
import { grammarPath, packageRoot, rulesDir } from "../paths.js";
import type * as A from "../syntax/ast.js";
import { ATTRIBUTES } from "../syntax/ast.js";
import { type AppliedDevice, rememberApplied } from "./apply/device.js";
import type { DevicePolicy } from "./resolve/device.js";
import type { CompiledRules, RuleSet } from "./pipeline.js";
import { templateSchema } from "./schema.js";
import type { Template } from "./template.js";

const FORMAT = "cfgvirt-stdlib/1";
const compilerDir = dirname(fileURLToPath(import.meta.url));
/** Beside the compiled compiler: dist/src/compile/stdlib.json. */
export const stdlibCachePath = join(compilerDir, "stdlib.json");

const sourceRef = z.object({ path: z.string(), line: z.number().int().min(0) }).strict();
const matchSchema = z.union([
  z.object({ kind: z.literal("ids"), vendor: z.number().int().optional(), device: z.number().int().optional(), subsystemVendor: z.number().int().optional(), subsystem: z.number().int().optional() }).strict(),
  z.object({ kind: z.literal("class"), value: z.number().int(), mask: z.number().int() }).strict(),
]);
const deviceSchema = z.object({
  name: z.string(),
  source: sourceRef,
  matches: z.array(matchSchema),
  allow: z.array(z.string()),
  hide: z.array(z.string()),
  barSizes: z.array(z.number().nullable()),
  romSize: z.number().optional(),
  passBytes: z.array(z.object({ first: z.number().int(), last: z.number().int(), attribute: z.enum(ATTRIBUTES) }).strict()),
  permissive: z.boolean(),
  reassign: z.boolean(),
  /** The templates this device's overrides changed, and every layout's visibility. */
  overridden: z.array(templateSchema),
  visibility: z.array(z.tuple([z.string(), z.object({ visible: z.boolean(), reason: z.string() }).strict()])),
}).strict();
const cacheSchema = z.object({ format: z.literal(FORMAT), hash: z.string(), templates: z.array(templateSchema), devices: z.array(deviceSchema) }).strict();
type CacheJson = z.infer<typeof cacheSchema>;

function filesBelow(dir: string, suffix: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? filesBelow(join(dir, e.name), suffix) : e.name.endsWith(suffix) ? [join(dir, e.name)] : []))
    .sort();
}

/** What the cache depends on: the rule files, the grammar, and the compiler's own code. */
export function stdlibHash(): string {
  const h = createHash("sha256").update(FORMAT);
  const code = filesBelow(compilerDir, compilerDir.includes(`${join("dist", "src")}`) ? ".js" : ".ts");
  for (const f of [...filesBelow(rulesDir, ".rules"), grammarPath, ...code]) h.update(relative(packageRoot, f)).update("\0").update(readFileSync(f)).update("\0");
  return h.digest("hex");
}

const plain = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

/** The cache's JSON for a compiled standard library. */
export function stdlibCacheJson(compiled: CompiledRules, applied: (p: DevicePolicy) => AppliedDevice): CacheJson {
  return {
    format: FORMAT,
    hash: stdlibHash(),
    templates: plain(compiled.templates) as CacheJson["templates"],
    devices: compiled.devices.map((p) => {
      const a = applied(p);
      return {
        name: p.name,
        source: p.source,
        matches: p.matches.map(({ span: _span, ...m }) => plain(m)) as CacheJson["devices"][number]["matches"],
        allow: [...p.allow],
        hide: [...p.hide],
        barSizes: Array.from(p.barSizes, (s) => s ?? null),
        ...(p.romSize !== undefined ? { romSize: p.romSize } : {}),
        passBytes: p.passBytes.map((r) => ({ first: r.first, last: r.last, attribute: r.attribute })),
        permissive: p.permissive,
        reassign: p.reassign,
        overridden: plain([...a.templates.values()].filter((t) => compiled.templatesByName.get(t.name) !== t)) as CacheJson["templates"],
        visibility: [...a.visibility],
      };
    }),
  };
}

export function writeStdlibCache(compiled: CompiledRules, applied: (p: DevicePolicy) => AppliedDevice, path = stdlibCachePath): void {
  writeFileSync(path, JSON.stringify(stdlibCacheJson(compiled, applied)));
}

/**
 * The standard library from the cache, or undefined when there is none or it
 * does not match the rules and compiler here. `full` compiles from source; the
 * result calls it only when something needs what the cache does not hold.
 */
export function loadStdlibCache(full: () => CompiledRules, path = stdlibCachePath): CompiledRules | undefined {
  if (!existsSync(path)) return undefined;
  let data: CacheJson;
  try {
    const parsed = cacheSchema.safeParse(JSON.parse(readFileSync(path, "utf8")));
    if (!parsed.success) return undefined;
    data = parsed.data;
  } catch {
    return undefined;
  }
  if (data.hash !== stdlibHash()) return undefined;
  const templates = data.templates as unknown as Template[];
  const templatesByName = new Map(templates.map((t) => [t.name, t]));
  let compiledFromSource: CompiledRules | undefined;
  const source = () => (compiledFromSource ??= full());
  const devices: DevicePolicy[] = data.devices.map((d, i) => {
    const span = spanFor(d.source.path);
    return {
      name: d.name,
      source: d.source,
      matches: d.matches.map((m) => ({ ...m, span }) as A.Match),
      allow: new Set(d.allow),
      hide: new Set(d.hide),
      // The override policies are syntax; they come from the source on demand.
      get overrides() {
        return source().devices[i].overrides;
      },
      barSizes: d.barSizes.map((s) => s ?? undefined),
      romSize: d.romSize,
      passBytes: d.passBytes,
      permissive: d.permissive,
      reassign: d.reassign,
    };
  });
  const compiled: CompiledRules = {
    get ruleSet(): RuleSet {
      return source().ruleSet;
    },
    get layoutsByName(): ReadonlyMap<string, A.Layout> {
      return source().layoutsByName;
    },
    templates,
    templatesByName,
    devices,
  };
  data.devices.forEach((d, i) => {
    const own = new Map(templatesByName);
    for (const t of d.overridden as unknown as Template[]) own.set(t.name, t);
    rememberApplied(compiled, { policy: devices[i], templates: own, visibility: new Map(d.visibility) });
  });
  return compiled;
}

/** A span naming a device file, for diagnostics about a cached policy's matches. */
function spanFor(path: string): Span {
  const source = new SourceFile(path, "");
  return { source, start: 0, end: 0 };
}
