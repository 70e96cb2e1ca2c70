// The multi-process protocol without QEMU: framing split anywhere, every
// command, bad sizes, unknown commands, and a peer that leaves mid-message.
// Property-based (fast-check, fixed seeds); answers are checked against the
// runtime driven directly, so the transport stays a thin layer over it.
import { createServer, connect } from "node:net";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Duplex } from "node:stream";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DEFAULT_EXAMPLE, openDevice, readDeviceSource, openSource } from "../../src/open-device.js";
import { MessageReader } from "../../src/serve/framing.js";
import { barBody, Cmd, configBody, encodeMessage, HEADER_SIZE, type Message } from "../../src/serve/protocol.js";
import { serveStream } from "../../src/serve/server.js";
import { ProxySession } from "../../src/serve/session.js";
import { dumpHeaderType, sharedDumps } from "../helpers/devices.js";

const source = readDeviceSource(DEFAULT_EXAMPLE);
const fresh = () => openSource(source);
const ALL_ONES = 0xffff_ffff_ffff_ffffn;

/** The u64 values of every RET in a byte stream. */
function rets(bytes: Buffer): bigint[] {
  const out: bigint[] = [];
  const reader = new MessageReader();
  reader.push(bytes, (m: Message) => {
    expect(m.cmd).toBe(Cmd.RET);
    expect(m.size).toBe(8);
    out.push(Buffer.from(m.body).readBigUInt64LE(0));
  });
  expect(reader.partial).toBe(false);
  return out;
}

function feed(session: ProxySession, chunks: readonly Uint8Array[]): Buffer {
  const out: Buffer[] = [];
  for (const c of chunks) session.receive(c, (b) => out.push(b));
  return Buffer.concat(out);
}

/** Valid messages as QEMU sends them; BAR accesses land in the example NIC's BAR3 (MSI-X) once it is programmed. */
const message = fc.oneof(
  fc.record({ addr: fc.integer({ min: 0, max: 0xff }), len: fc.constantFrom(1, 2, 4) }).map(({ addr, len }) => encodeMessage(Cmd.PCI_CFGREAD, configBody(addr, 0, len))),
  fc.record({ addr: fc.integer({ min: 0, max: 0xff }), val: fc.nat(), len: fc.constantFrom(1, 2, 4) }).map(({ addr, val, len }) => encodeMessage(Cmd.PCI_CFGWRITE, configBody(addr, val, len))),
  fc.record({ off: fc.integer({ min: 0, max: 0x3ff0 }), size: fc.constantFrom(1, 2, 4, 8) }).map(({ off, size }) => encodeMessage(Cmd.BAR_READ, barBody(0xc000_0000n + BigInt(off), 0n, size, true))),
  fc.record({ off: fc.integer({ min: 0, max: 0x3ff0 }), val: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), size: fc.constantFrom(1, 2, 4, 8) }).map(({ off, val, size }) => encodeMessage(Cmd.BAR_WRITE, barBody(0xc000_0000n + BigInt(off), val, size, true))),
  fc.constant(encodeMessage(Cmd.DEVICE_RESET, new Uint8Array(0))),
  fc.constant(encodeMessage(Cmd.SYNC_SYSMEM, new Uint8Array(192))),
  fc.constant(encodeMessage(Cmd.SET_IRQFD, new Uint8Array(0))),
);
/** Put BAR3 at 0xc0000000 and turn on memory decoding first. */
const PROLOGUE = Buffer.concat([encodeMessage(Cmd.PCI_CFGWRITE, configBody(0x1c, 0xc000_0000, 4)), encodeMessage(Cmd.PCI_CFGWRITE, configBody(0x04, 0x0406, 2))]);

/** Split `bytes` at the given cut points. */
function split(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const c of [...at, bytes.length]) {
    out.push(bytes.subarray(prev, c));
    prev = c;
  }
  return out;
}

describe("framing", () => {
  it("a stream split at every byte, or at any cut points, gives the same answers and the same device state", () => {
    fc.assert(
      fc.property(fc.array(message, { minLength: 1, maxLength: 40 }), fc.array(fc.nat(), { maxLength: 30 }), (msgs, cuts) => {
        const stream = Buffer.concat([PROLOGUE, ...msgs]);
        const whole = new ProxySession(fresh());
        const bytewise = new ProxySession(fresh());
        const cut = new ProxySession(fresh());
        const a = feed(whole, [stream]);
        const b = feed(bytewise, Array.from(stream, (x) => Uint8Array.of(x)));
        const c = feed(cut, split(stream, cuts));
        expect(b.equals(a)).toBe(true);
        expect(c.equals(a)).toBe(true);
        expect(bytewise.opened.device.shadow.toArray()).toEqual(whole.opened.device.shadow.toArray());
        expect(bytewise.opened.host.bytes()).toEqual(whole.opened.host.bytes());
        expect(whole.partial).toBe(false);
      }),
      { seed: 0x5e7e, numRuns: 60 },
    );
  });

  it("configuration answers are the runtime's own, access for access (the transport adds nothing)", () => {
    fc.assert(
      fc.property(fc.array(fc.record({ write: fc.boolean(), addr: fc.integer({ min: 0, max: 0xff }), val: fc.nat(), len: fc.constantFrom(1, 2, 4) }), { maxLength: 60 }), (accesses) => {
        const session = new ProxySession(fresh());
        const direct = fresh().device;
        const served: bigint[][] = [];
        const expected: bigint[][] = [];
        for (const a of accesses) {
          served.push(rets(feed(session, [encodeMessage(a.write ? Cmd.PCI_CFGWRITE : Cmd.PCI_CFGREAD, configBody(a.addr, a.val, a.len))])));
          if (a.write) direct.write(a.addr, a.len, a.val);
          expected.push(a.write ? [0n] : [BigInt(direct.read(a.addr, a.len))]);
        }
        expect(served).toEqual(expected);
      }),
      { seed: 0xc0f, numRuns: 80 },
    );
  });
});

describe("every command", () => {
  it("CFGREAD/CFGWRITE, BAR_READ/BAR_WRITE, DEVICE_RESET answer with one RET; SYNC_SYSMEM and SET_IRQFD answer nothing", () => {
    const s = new ProxySession(fresh());
    expect(rets(feed(s, [encodeMessage(Cmd.PCI_CFGREAD, configBody(0, 0, 4))]))).toEqual([0x10d38086n]);
    expect(rets(feed(s, [PROLOGUE]))).toEqual([0n, 0n]);
    expect(rets(feed(s, [encodeMessage(Cmd.BAR_WRITE, barBody(0xc000_2000n - 0x2000n + 0x100n, 0x1122334455667788n, 8, true))]))).toEqual([0n]);
    expect(rets(feed(s, [encodeMessage(Cmd.BAR_READ, barBody(0xc000_0100n, 0n, 8, true))]))).toEqual([0x1122334455667788n]);
    expect(rets(feed(s, [encodeMessage(Cmd.SYNC_SYSMEM, new Uint8Array(192)), encodeMessage(Cmd.SET_IRQFD, new Uint8Array(0))]))).toEqual([]);
    expect(rets(feed(s, [encodeMessage(Cmd.DEVICE_RESET, new Uint8Array(0))]))).toEqual([0n]);
    expect(s.stats).toMatchObject({ configReads: 1, configWrites: 2, barReads: 1, barWrites: 1, resets: 1, ignored: 2, malformed: 0 });
  });

  it("DEVICE_RESET is a function-level reset: programmed BARs read their reset value again", () => {
    const s = new ProxySession(fresh());
    feed(s, [PROLOGUE]);
    expect(rets(feed(s, [encodeMessage(Cmd.PCI_CFGREAD, configBody(0x1c, 0, 4))]))).toEqual([0xc000_0000n]);
    feed(s, [encodeMessage(Cmd.DEVICE_RESET, new Uint8Array(0))]);
    expect(rets(feed(s, [encodeMessage(Cmd.PCI_CFGREAD, configBody(0x1c, 0, 4)), encodeMessage(Cmd.PCI_CFGREAD, configBody(0x10, 0, 4))]))).toEqual([0n, 0n]);
  });
});

describe("the BAR model", () => {
  const s = new ProxySession(fresh());
  feed(s, [PROLOGUE]);
  const bar = (cmd: number, off: number, size: number, val = 0n) => rets(feed(s, [encodeMessage(cmd, barBody(0xc000_0000n + BigInt(off), val, size, true))]))[0];

  it("emulates the MSI-X table where the capability puts it (BAR3 + 0): vectors start masked, only the mask bit of Vector Control is writable", () => {
    expect(bar(Cmd.BAR_READ, 0x0c, 4)).toBe(1n);
    bar(Cmd.BAR_WRITE, 0x0c, 4, 0xffff_fffen);
    expect(bar(Cmd.BAR_READ, 0x0c, 4)).toBe(0n);
    bar(Cmd.BAR_WRITE, 0x00, 4, 0xfee0_0000n);
    expect(bar(Cmd.BAR_READ, 0x00, 4)).toBe(0xfee0_0000n);
  });

  it("the PBA (BAR3 + 0x2000) reads 0 and ignores writes; other bytes are a register file", () => {
    bar(Cmd.BAR_WRITE, 0x2000, 8, ALL_ONES);
    expect(bar(Cmd.BAR_READ, 0x2000, 8)).toBe(0n);
    bar(Cmd.BAR_WRITE, 0x3000, 2, 0xbeefn);
    expect(bar(Cmd.BAR_READ, 0x3000, 4)).toBe(0xbeefn);
  });

  it("an access no enabled BAR decodes reads all-ones for its size and changes nothing", () => {
    // (BAR0 and BAR2 are still at their reset address 0 and decode there, as hardware would.)
    expect(rets(feed(s, [encodeMessage(Cmd.BAR_READ, barBody(0x8000_1234n, 0n, 2, true))]))).toEqual([0xffffn]);
    expect(rets(feed(s, [encodeMessage(Cmd.BAR_READ, barBody(0xc000_0000n, 0n, 4, false))]))).toEqual([0xffff_ffffn]);
    expect(s.stats.unclaimed).toBe(2);
  });
});

describe("the BAR model of a UHCI (class 0x0c0300)", () => {
  // SeaBIOS's uhci_waittick waits up to 5 s for FRNUM to move once the controller runs.
  const dir = mkdtempSync(join(tmpdir(), "cfgvirt-uhci-"));
  /** A USB controller with an I/O BAR 4 at 0xc040, I/O decoding on. */
  function usbController(progIf: number): (cmd: number, off: number, size: number, val?: bigint) => bigint {
    const file = join(dir, `usb-${progIf}.rules`);
    writeFileSync(file, `image "cfgvirt test: a USB controller" {\n  bar 4 size 32\n  header type0 { vendor_id = 0x8086; device_id = 0x3a37; base_class = 0x0c; subclass = 0x03; prog_if = ${progIf}; bar4 = 0x00000001 }\n}\n`);
    const s = new ProxySession(openDevice(file));
    feed(s, [encodeMessage(Cmd.PCI_CFGWRITE, configBody(0x20, 0xc040, 4)), encodeMessage(Cmd.PCI_CFGWRITE, configBody(0x04, 0x0001, 2))]);
    return (cmd, off, size, val = 0n) => rets(feed(s, [encodeMessage(cmd, barBody(0xc040n + BigInt(off), val, size, false))]))[0];
  }

  it("counts frames in FRNUM while Run/Stop is set, one per read, in 11 bits; a halted controller's count stays", () => {
    const io = usbController(0x00);
    expect([io(Cmd.BAR_READ, 0x06, 2), io(Cmd.BAR_READ, 0x06, 2)]).toEqual([0n, 0n]);
    io(Cmd.BAR_WRITE, 0x00, 2, 0x00c1n); // Run/Stop, Configure Flag, Max Packet
    expect([io(Cmd.BAR_READ, 0x06, 2), io(Cmd.BAR_READ, 0x06, 2), io(Cmd.BAR_READ, 0x04, 4) >> 16n]).toEqual([1n, 2n, 3n]);
    io(Cmd.BAR_WRITE, 0x00, 2, 0n);
    io(Cmd.BAR_WRITE, 0x06, 2, 0x07ffn); // software may set FRNUM while halted
    expect(io(Cmd.BAR_READ, 0x06, 2)).toBe(0x7ffn);
    io(Cmd.BAR_WRITE, 0x00, 2, 1n);
    expect(io(Cmd.BAR_READ, 0x06, 2)).toBe(0n);
    // Other registers are the plain register file.
    expect(io(Cmd.BAR_READ, 0x00, 2)).toBe(1n);
    expect(io(Cmd.BAR_READ, 0x10, 2)).toBe(0n);
  });

  it("leaves another controller's register at the same place alone (an OHCI's programming interface, 0x10)", () => {
    const io = usbController(0x10);
    io(Cmd.BAR_WRITE, 0x00, 2, 1n);
    expect([io(Cmd.BAR_READ, 0x06, 2), io(Cmd.BAR_READ, 0x06, 2)]).toEqual([0n, 0n]);
  });
});

describe("malformed input", () => {
  const valid = encodeMessage(Cmd.PCI_CFGREAD, configBody(0, 0, 2));

  it("unknown commands are answered all-ones, logged once, and the next message is served", () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }).filter((c) => c < 0 || c > 7), fc.uint8Array({ maxLength: 64 }), (cmd, body) => {
        const lines: string[] = [];
        const s = new ProxySession(fresh(), (l) => lines.push(l));
        const out = feed(s, [encodeMessage(cmd, body), encodeMessage(cmd, body), valid]);
        expect(rets(out)).toEqual([ALL_ONES, ALL_ONES, 0x8086n]);
        expect(lines.filter((l) => l.includes("unknown command"))).toHaveLength(1);
      }),
      { seed: 0xbad, numRuns: 60 },
    );
  });

  it("a known command with a body of the wrong size is never acted on; answered all-ones when QEMU awaits an answer", () => {
    fc.assert(
      fc.property(fc.constantFrom(0, 2, 3, 4, 5, 6, 7), fc.integer({ min: 0, max: 300 }), (cmd, size) => {
        const want = { 0: 192, 2: 12, 3: 12, 4: 24, 5: 24, 6: 0, 7: 0 }[cmd]!;
        fc.pre(size !== want);
        const s = new ProxySession(fresh());
        const out = feed(s, [encodeMessage(cmd, new Uint8Array(size).fill(0xff)), valid]);
        const awaited = cmd !== 0 && cmd !== 6;
        expect(rets(out)).toEqual(awaited ? [ALL_ONES, 0x8086n] : [0x8086n]);
        expect(s.stats.malformed).toBe(1);
        expect(s.opened.host.writes).toBe(0);
        expect(s.stats.resets).toBe(0);
      }),
      { seed: 0x517e, numRuns: 120 },
    );
  });

  it("an oversized body is consumed as it streams, never buffered whole", () => {
    const s = new ProxySession(fresh());
    const header = Buffer.alloc(HEADER_SIZE);
    header.writeInt32LE(Cmd.PCI_CFGREAD, 0);
    header.writeBigUInt64LE(4n * 1024n * 1024n, 8);
    const out: Buffer[] = [header];
    for (let i = 0; i < 64; i++) out.push(Buffer.alloc(64 * 1024, 0xee));
    out.push(valid);
    expect(rets(feed(s, out))).toEqual([ALL_ONES, 0x8086n]);
  });

  it("a bad BAR access size (not 1, 2, 4, 8) reads all-ones and writes nothing", () => {
    const s = new ProxySession(fresh());
    feed(s, [PROLOGUE]);
    expect(rets(feed(s, [encodeMessage(Cmd.BAR_WRITE, barBody(0xc000_3000n, 0xffn, 3, true)), encodeMessage(Cmd.BAR_READ, barBody(0xc000_3000n, 0n, 16, true)), encodeMessage(Cmd.BAR_READ, barBody(0xc000_3000n, 0n, 1, true))]))).toEqual([0n, ALL_ONES, 0n]);
  });
});

/** A Duplex whose input the test pushes and whose output it collects. */
function pipePeer(): { stream: Duplex; written: Buffer[] } {
  const written: Buffer[] = [];
  const stream = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, cb) {
      written.push(chunk);
      cb();
    },
  });
  return { stream, written };
}

describe("a peer that disconnects", () => {
  it("mid-message: the complete messages before it are answered, the partial one is dropped, nothing throws", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(message, { minLength: 1, maxLength: 12 }), fc.nat(), async (msgs, cutSeed) => {
        const stream = Buffer.concat(msgs);
        const cut = cutSeed % (stream.length + 1);
        const { stream: peer, written } = pipePeer();
        const session = new ProxySession(fresh());
        const done = serveStream(peer, session);
        peer.push(stream.subarray(0, cut));
        peer.push(null);
        const result = await done;
        // What a complete feed of the same prefix answers:
        const reference = new ProxySession(fresh());
        const expected = feed(reference, [stream.subarray(0, cut)]);
        expect(Buffer.concat(written).equals(expected)).toBe(true);
        expect(result.truncated).toBe(reference.partial);
      }),
      { seed: 0xd15c, numRuns: 60 },
    );
  });

  it("over a real UNIX socket: a peer hanging up mid-header ends the session cleanly", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "cfgvirt-serve-")), "s");
    const session = new ProxySession(openDevice(DEFAULT_EXAMPLE));
    const server = createServer();
    await new Promise<void>((r) => server.listen(path, r));
    const accepted = new Promise<ReturnType<typeof serveStream>>((r) => server.once("connection", (sock) => r(serveStream(sock, session))));
    const client = connect(path);
    const answers: Buffer[] = [];
    client.on("data", (b) => answers.push(b));
    await new Promise<void>((r) => client.once("connect", () => r()));
    client.write(Buffer.concat([encodeMessage(Cmd.PCI_CFGREAD, configBody(0, 0, 4)), encodeMessage(Cmd.PCI_CFGREAD, configBody(0, 0, 4)).subarray(0, 7)]));
    await new Promise((r) => setTimeout(r, 50));
    client.end();
    const result = await (await accepted);
    server.close();
    expect(result.truncated).toBe(true);
    expect(rets(Buffer.concat(answers))).toEqual([0x10d38086n]);
  });
});

describe("QEMU 7.2's realize probe", () => {
  /** What probe_pci_info() does per slot: read, write all-ones, read back, restore. */
  const probe = (s: ProxySession, addr: number): bigint => {
    const out = rets(feed(s, [
      encodeMessage(Cmd.PCI_CFGREAD, configBody(addr, 0, 4)),
      encodeMessage(Cmd.PCI_CFGWRITE, configBody(addr, 0xffffffff, 4)),
      encodeMessage(Cmd.PCI_CFGREAD, configBody(addr, 0, 4)),
    ]));
    feed(s, [encodeMessage(Cmd.PCI_CFGWRITE, configBody(addr, Number(out[0]), 4))]);
    return out[2];
  };
  /** QEMU's size computation, in a C int. */
  const qemuSize = (v: bigint) => (~(Number(v) & 0xfffffff0) + 1) | 0;

  it("a readback QEMU would turn into a size that aborts it (2 GiB: INT_MIN) is reported empty during the probe only", () => {
    const lines: string[] = [];
    const s = new ProxySession(openSource(source, { barSizes: [2 ** 31] }), (l) => lines.push(l));
    const sizes = [0x10, 0x14, 0x18, 0x1c, 0x20, 0x24, 0x28].map((a) => qemuSize(probe(s, a)));
    for (const size of sizes) expect(size === 0 || (size > 0 && (size & (size - 1)) === 0)).toBe(true);
    expect(sizes[0]).toBe(0);
    expect(sizes[3]).toBe(16 * 1024); // BAR3 as the image says
    expect(lines.some((l) => l.includes("would abort"))).toBe(true);
    // The guest, after the probe, sizes the real 2 GiB BAR.
    expect(probe(s, 0x10)).toBe(0x8000_0000n);
  });

  it("every real Type 0 dump and example: no probe readback makes QEMU's size computation invalid", () => {
    for (const path of [DEFAULT_EXAMPLE, ...sharedDumps().filter((p) => dumpHeaderType(p) === 0)]) {
      const s = new ProxySession(openDevice(path));
      for (const a of [0x10, 0x14, 0x18, 0x1c, 0x20, 0x24, 0x28]) {
        const size = qemuSize(probe(s, a));
        expect(size === 0 || (size > 0 && (size & (size - 1)) === 0), `${path} 0x${a.toString(16)}`).toBe(true);
      }
    }
  });
});
