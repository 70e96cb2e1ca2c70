// One served device: dispatch each message QEMU's proxy sends to the runtime
// (configuration accesses through the same VirtualDevice as every other tool)
// or to the BAR model, and say what to answer. No I/O here: the socket side is
// server.ts, so tests drive a session with bytes alone.
//
// Malformed input (an unknown command, a body of the wrong size, an oversized
// one) is answered, when the command expects an answer, with all-ones and
// never acted on; each kind is logged once. Nothing a peer sends throws.
import type { OpenedDevice } from "../open-device.js";
import { DeviceLog, type LogSink } from "../runtime/log.js";
import { BarModel } from "./bar-model.js";
import { MessageReader } from "./framing.js";
import { BODY_SIZE, Cmd, encodeRet, expectsReply, type Message } from "./protocol.js";

export interface SessionStats {
  configReads: number;
  configWrites: number;
  barReads: number;
  barWrites: number;
  resets: number;
  /** SYNC_SYSMEM and SET_IRQFD: accepted, their descriptors dropped. */
  ignored: number;
  malformed: number;
  /** BAR accesses no programmed BAR decodes (answered all-ones / dropped). */
  unclaimed: number;
}

const ALL_ONES = 0xffff_ffff_ffff_ffffn;
/** QEMU 7.2's proxy probes these seven dwords at realize (PCI_NUM_REGIONS: six BARs and, wrongly, 0x28). */
const PROBE_SLOTS = 7;

export class ProxySession {
  readonly stats: SessionStats = { configReads: 0, configWrites: 0, barReads: 0, barWrites: 0, resets: 0, ignored: 0, malformed: 0, unclaimed: 0 };
  readonly bars: BarModel;
  private readonly reader = new MessageReader();
  private readonly log: DeviceLog;
  /** The last configuration write, to recognise a BAR sizing readback. */
  private lastWriteAddr = -1;
  private lastWriteAllOnes = false;
  private probed = 0;

  constructor(
    readonly opened: OpenedDevice,
    sink: LogSink = () => {},
  ) {
    this.log = new DeviceLog(sink);
    this.bars = new BarModel(opened.tables, opened.device);
  }

  get accesses(): number {
    const s = this.stats;
    return s.configReads + s.configWrites + s.barReads + s.barWrites + s.resets;
  }

  /** True when the peer left in the middle of a message. */
  get partial(): boolean {
    return this.reader.partial;
  }

  /** Feed bytes from the peer; `reply` gets each answer, in order. */
  receive(chunk: Uint8Array, reply: (bytes: Buffer) => void): void {
    this.reader.push(chunk, (m) => {
      const answer = this.handle(m);
      if (answer !== undefined) reply(encodeRet(answer));
    });
  }

  /** The answer to one message, or undefined when none is due. */
  handle(m: Message): bigint | undefined {
    const want = BODY_SIZE[m.cmd];
    if (want === undefined) {
      this.stats.malformed++;
      if (m.cmd === Cmd.RET) {
        this.log.once("ret", "peer sent RET, which only the device side sends: ignored");
        return undefined;
      }
      this.log.once(`cmd-${m.cmd}`, `unknown command ${m.cmd} (body ${m.size} bytes): answered all-ones`);
      return ALL_ONES;
    }
    if (m.size !== want) {
      this.stats.malformed++;
      this.log.once(`size-${m.cmd}`, `command ${m.cmd} with a ${m.size}-byte body (expected ${want}): ${expectsReply(m.cmd) ? "answered all-ones" : "ignored"}`);
      return expectsReply(m.cmd) ? ALL_ONES : undefined;
    }
    const b = Buffer.from(m.body.buffer, m.body.byteOffset, m.body.byteLength);
    switch (m.cmd) {
      case Cmd.PCI_CFGREAD:
        return BigInt(this.configRead(b.readUInt32LE(0), b.readInt32LE(8)));
      case Cmd.PCI_CFGWRITE:
        this.configWrite(b.readUInt32LE(0), b.readUInt32LE(4), b.readInt32LE(8));
        return 0n;
      case Cmd.BAR_READ:
      case Cmd.BAR_WRITE:
        return this.barAccess(m.cmd === Cmd.BAR_WRITE, b.readBigUInt64LE(0), b.readBigUInt64LE(8), b.readUInt32LE(16), b.readUInt8(20) !== 0);
      case Cmd.DEVICE_RESET:
        this.stats.resets++;
        // QEMU resets the function as a whole (machine reset): what FLR does to the virtual state.
        this.opened.device.resetShadow();
        this.bars.reset();
        return 0n;
      default:
        this.stats.ignored++;
        this.log.once(`fds-${m.cmd}`, m.cmd === Cmd.SYNC_SYSMEM
          ? "SYNC_SYSMEM: guest memory descriptors dropped (Node cannot receive SCM_RIGHTS; no DMA from this device model)"
          : "SET_IRQFD: interrupt eventfds dropped (Node cannot receive SCM_RIGHTS; no interrupts from this device model)");
        return undefined;
    }
  }

  private configRead(addr: number, len: number): number {
    this.stats.configReads++;
    let v = this.opened.device.read(addr, len);
    // QEMU 7.2's proxy sizes seven slots at realize by writing all-ones and
    // computing `~(readback & ~0xf) + 1` in a C int; a result that is not a
    // power of two (a 2 GiB BAR gives INT_MIN) aborts QEMU in pci_register_bar.
    // During that probe only, such a slot is reported empty: QEMU then maps
    // nothing for it, and the guest still sizes the real BAR through us.
    const sizing = this.lastWriteAllOnes && addr === this.lastWriteAddr && len === 4 && addr >= 0x10 && addr <= 0x28;
    if (sizing && this.probed < PROBE_SLOTS) {
      this.probed++;
      const size = (~(v & 0xfffffff0) + 1) | 0;
      if (size !== 0 && (size < 0 || (size & (size - 1)) !== 0)) {
        this.log.once(`probe-${addr}`, `BAR at 0x${addr.toString(16)}: QEMU's proxy would abort on its size (it computes 0x${(v >>> 0).toString(16)} as a C int); told it the slot is empty at realize, the guest still sees the BAR`);
        v = 0;
      }
    }
    this.lastWriteAddr = -1;
    return v >>> 0;
  }

  private configWrite(addr: number, val: number, len: number): void {
    this.stats.configWrites++;
    this.opened.device.write(addr, len, val);
    this.lastWriteAddr = addr;
    this.lastWriteAllOnes = len === 4 && val >>> 0 === 0xffffffff;
  }

  private barAccess(write: boolean, addr: bigint, val: bigint, size: number, memory: boolean): bigint {
    if (write) this.stats.barWrites++;
    else this.stats.barReads++;
    if (!(size === 1 || size === 2 || size === 4 || size === 8) || addr > BigInt(Number.MAX_SAFE_INTEGER)) {
      this.log.once("bar-size", `BAR ${write ? "write" : "read"} of ${size} bytes at 0x${addr.toString(16)}: ${write ? "dropped" : "answered all-ones"}`);
      return write ? 0n : ALL_ONES;
    }
    const hit = this.bars.decode(Number(addr), memory);
    if (!hit || hit.offset + size > hit.bar.size) {
      this.stats.unclaimed++;
      this.log.once(`unclaimed-${memory}`, `${memory ? "memory" : "I/O"} access at 0x${addr.toString(16)} that no enabled BAR decodes: ${write ? "dropped" : "answered all-ones"}`);
      return write ? 0n : ALL_ONES >> BigInt(64 - 8 * size);
    }
    if (write) {
      this.bars.write(hit, size, val & (ALL_ONES >> BigInt(64 - 8 * size)));
      return 0n;
    }
    return this.bars.read(hit, size);
  }
}
