import { existsSync, lstatSync, unlinkSync } from "node:fs";
import { createServer } from "node:net";
import { parseArgs } from "node:util";
import { CfgvirtError, error } from "../diag/diagnostic.js";
import { serveStream } from "../serve/server.js";
import { ProxySession } from "../serve/session.js";
import { type Command, UsageError } from "./command.js";
import { openForVerb } from "./open.js";
import { deviceHelp, deviceOptions } from "./view.js";

export const serveCommand: Command = {
  name: "serve",
  summary: "serve one device to QEMU's multi-process proxy over a UNIX socket",
  help: `usage: cfgvirt serve [--device FILE] --socket PATH [--rules FILE]... [--bar N=SIZE]...

Listens on the UNIX stream socket PATH, accepts one connection and speaks QEMU's
multi-process protocol on it (the device side of -device x-pci-proxy-dev,fd=N)
until the peer hangs up: configuration accesses go through the rules, BAR
accesses to a BAR model (MSI-X table and PBA emulated, other bytes a register
file). Descriptors QEMU sends (guest memory, eventfds) are dropped: Node cannot
receive them. Prints the accesses served on stderr at the end.
\`cfgvirt qemu\` does all of this in one process, QEMU included.

${deviceHelp}
  --socket PATH   where to listen (a stale socket file there is replaced)
`,
  async run(args, io) {
    const { values } = parseArgs({ args, options: { ...deviceOptions, socket: { type: "string" } } });
    if (!values.socket) throw new UsageError("--socket PATH is required");
    const { opened, stop } = openForVerb(values, io);
    if (stop !== undefined) return stop;
    const path = values.socket;
    if (existsSync(path)) {
      if (!lstatSync(path).isSocket()) throw new UsageError(`--socket ${path}: exists and is not a socket; refusing to replace it`);
      unlinkSync(path);
    }
    const session = new ProxySession(opened, (line) => io.err(`cfgvirt serve: ${line}\n`));
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", (e: Error) => reject(new CfgvirtError([error("S001", `cannot listen on ${path}: ${e.message}`, undefined, "give a path in a writable directory")])));
      server.listen(path, () => resolve());
    });
    io.err(`cfgvirt serve: listening on ${path}\n`);
    const socket = await new Promise<import("node:net").Socket>((resolve) => server.once("connection", resolve));
    server.close();
    const result = await serveStream(socket, session);
    if (existsSync(path)) unlinkSync(path);
    const s = session.stats;
    io.err(`cfgvirt serve: peer hung up${result.truncated ? " in the middle of a message" : ""}; ${session.accesses} accesses served (config ${s.configReads} reads, ${s.configWrites} writes; BAR ${s.barReads} reads, ${s.barWrites} writes; ${s.resets} resets; ${s.malformed} malformed)\n`);
    return 0;
  },
};
