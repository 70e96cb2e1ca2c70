// The price of the stub-domain split: one configuration read served in-process
// (the runtime called directly, and through the protocol's framing without a
// socket) against the same read as a round trip over a UNIX stream socket, as
// QEMU's proxy does it (send CFGREAD, wait for RET, repeat).
import { mkdtempSync, rmSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDevice } from "../src/open-device.js";
import { Cmd, configBody, encodeMessage, HEADER_SIZE } from "../src/serve/protocol.js";
import { serveStream } from "../src/serve/server.js";
import { ProxySession } from "../src/serve/session.js";

export interface SocketBench {
  readonly directPerSec: number;
  readonly framedPerSec: number;
  readonly socketRoundTripsPerSec: number;
}

const READ_VENDOR = encodeMessage(Cmd.PCI_CFGREAD, configBody(0, 0, 4));

function rate(seconds: number, step: () => void): number {
  const start = performance.now();
  let n = 0;
  while (performance.now() - start < seconds * 1000) {
    for (let i = 0; i < 1000; i++) step();
    n += 1000;
  }
  return n / ((performance.now() - start) / 1000);
}

export async function socketBench(devicePath: string, seconds = 1): Promise<SocketBench> {
  const opened = openDevice(devicePath);
  const directPerSec = rate(seconds, () => opened.device.read(0, 4));
  const session = new ProxySession(opened);
  const sink = () => {};
  const framedPerSec = rate(seconds, () => session.receive(READ_VENDOR, sink));

  const dir = mkdtempSync(join(tmpdir(), "cfgvirt-bench-"));
  const path = join(dir, "s");
  const server = createServer((sock) => void serveStream(sock, new ProxySession(openDevice(devicePath))));
  await new Promise<void>((r) => server.listen(path, r));
  const client = connect(path);
  await new Promise<void>((r) => client.once("connect", () => r()));
  let count = 0;
  let pending = 0;
  const start = performance.now();
  const socketRoundTripsPerSec = await new Promise<number>((resolve) => {
    client.on("data", (b: Buffer) => {
      pending += b.length;
      while (pending >= HEADER_SIZE + 8) {
        pending -= HEADER_SIZE + 8;
        count++;
        const elapsed = performance.now() - start;
        if (elapsed >= seconds * 1000) return resolve(count / (elapsed / 1000));
        client.write(READ_VENDOR);
      }
    });
    client.write(READ_VENDOR);
  });
  client.destroy();
  server.close();
  rmSync(dir, { recursive: true, force: true });
  return { directPerSec, framedPerSec, socketRoundTripsPerSec };
}

/** One summary line for `npm run bench`. */
export function socketBenchLine(r: SocketBench): string {
  const k = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : `${(n / 1e3).toFixed(1)}k`);
  return `config read, in-process: ${k(r.directPerSec)}/s direct, ${k(r.framedPerSec)}/s through the protocol; over a UNIX socket: ${k(r.socketRoundTripsPerSec)} round trips/s (${(r.directPerSec / r.socketRoundTripsPerSec).toFixed(0)}x the cost)`;
}
