// The socket side: feed a stream's bytes to a session and write its answers
// back, until the peer hangs up. Any Duplex works: a net.Socket on a UNIX
// socket path (`cfgvirt serve`) or a child process's stdio pipe, which libuv
// creates as a connected UNIX stream socketpair (`cfgvirt qemu`).
import type { Duplex } from "node:stream";
import type { ProxySession } from "./session.js";

export interface ServeResult {
  /** The peer hung up in the middle of a message. */
  readonly truncated: boolean;
}

export function serveStream(stream: Duplex, session: ProxySession): Promise<ServeResult> {
  return new Promise((resolve) => {
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      resolve({ truncated: session.partial });
    };
    stream.on("data", (chunk: Buffer) => {
      session.receive(chunk, (bytes) => {
        if (!stream.destroyed && stream.writable) stream.write(bytes);
      });
    });
    stream.on("error", () => {
      stream.destroy();
      finish();
    });
    stream.on("end", () => {
      stream.end();
      finish();
    });
    stream.on("close", finish);
  });
}
