// `npm run build` runs this after tsc: write the precompiled standard library
// (see stdlib-cache.ts) beside the compiled compiler.
import { appliedDevice } from "./apply/device.js";
import { compileStandardFromSource } from "./pipeline.js";
import { stdlibCachePath, writeStdlibCache } from "./stdlib-cache.js";

const compiled = compileStandardFromSource();
writeStdlibCache(compiled, (p) => appliedDevice(compiled, p));
process.stderr.write(`cfgvirt: precompiled the standard library (${compiled.templates.length} layouts, ${compiled.devices.length} device files) to ${stdlibCachePath}\n`);
