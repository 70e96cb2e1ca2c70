#!/usr/bin/env node
import { run } from "./cli/main.js";
import { colorFor } from "./cli/style.js";

// `cfgvirt compile X | head`: the reader went away; stop quietly, as cat does.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw e;
  });
}

process.exitCode = await run(process.argv.slice(2), {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  color: colorFor(process.stderr, process.env),
});
