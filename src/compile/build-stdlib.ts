// `npm run build` runs this after tsc: write the precompiled standard library
// (see stdlib-cache.ts) beside the compiled compiler, and the syntax trees of
// the standard library and the examples (src/syntax/syntax-cache.ts) beside the
// parser: `cfgvirt view` and `boot` with the default example parse nothing.
import { readFileSync } from "node:fs";
import { examplesDir } from "../paths.js";
import { parseRules } from "../syntax/parse.js";
import { syntaxCachePath, writeSyntaxCache } from "../syntax/syntax-cache.js";
import { compileStandardFromSource, rulesFilesIn, standardRuleFiles } from "./pipeline.js";
import { stdlibCachePath, writeStdlibCache } from "./stdlib-cache.js";
import { ruleWarnings } from "./warnings.js";

const compiled = compileStandardFromSource();
writeStdlibCache(compiled, ruleWarnings(compiled));
process.stderr.write(`cfgvirt: precompiled the standard library (${compiled.templates.length} layouts, ${compiled.devices.length} device files) to ${stdlibCachePath}\n`);

// Parsed afresh here, not taken from the compile above: what is saved is what the parser makes of each text now.
const shipped = [...standardRuleFiles(), ...rulesFilesIn(examplesDir)];
const parsed = shipped.flatMap((fullPath) => {
  const text = readFileSync(fullPath, "utf8");
  const r = parseRules(fullPath, text);
  return r.ok ? [{ text, file: r.file }] : [];
});
writeSyntaxCache(parsed);
process.stderr.write(`cfgvirt: saved the syntax trees of ${parsed.length} of ${shipped.length} standard and example rule files to ${syntaxCachePath}\n`);
