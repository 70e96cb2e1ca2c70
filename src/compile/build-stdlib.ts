// `npm run build` runs this after tsc: write the precompiled standard library
// (see stdlib-cache.ts) beside the compiled compiler.
import { compileStandardFromSource } from "./pipeline.js";
import { stdlibCachePath, writeStdlibCache } from "./stdlib-cache.js";
import { ruleWarnings } from "./warnings.js";

const compiled = compileStandardFromSource();
writeStdlibCache(compiled, ruleWarnings(compiled));
process.stderr.write(`cfgvirt: precompiled the standard library (${compiled.templates.length} layouts, ${compiled.devices.length} device files) to ${stdlibCachePath}\n`);
