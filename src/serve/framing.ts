// Framing: bytes arrive in chunks of any size (a header may be split anywhere);
// complete messages come out in order. Memory stays bounded whatever the peer
// declares: bodies past MAX_BODY are counted off, not buffered.
import { HEADER_SIZE, MAX_BODY, type Message } from "./protocol.js";

export class MessageReader {
  private readonly header = Buffer.alloc(HEADER_SIZE);
  private headerFill = 0;
  private cmd = 0;
  /** Declared body size; a number is exact up to 2^53, and larger ones only matter as "too big". */
  private size = 0;
  private body: Uint8Array = new Uint8Array(0);
  private bodyFill = 0;
  /** Bytes of the current body still to come. */
  private remaining = 0;
  private inBody = false;

  /** True when a message has started but not finished (the peer hung up mid-message). */
  get partial(): boolean {
    return this.headerFill > 0 || this.inBody;
  }

  /** Feed a chunk; calls `emit` for every message it completes. */
  push(chunk: Uint8Array, emit: (m: Message) => void): void {
    let i = 0;
    while (i < chunk.length) {
      if (!this.inBody) {
        const n = Math.min(HEADER_SIZE - this.headerFill, chunk.length - i);
        this.header.set(chunk.subarray(i, i + n), this.headerFill);
        this.headerFill += n;
        i += n;
        if (this.headerFill < HEADER_SIZE) return;
        this.headerFill = 0;
        this.cmd = this.header.readInt32LE(0);
        this.size = Number(this.header.readBigUInt64LE(8));
        this.body = new Uint8Array(Math.min(this.size, MAX_BODY));
        this.bodyFill = 0;
        this.remaining = this.size;
        this.inBody = true;
      }
      const n = Math.min(this.remaining, chunk.length - i);
      const keep = Math.min(n, this.body.length - this.bodyFill);
      if (keep > 0) {
        this.body.set(chunk.subarray(i, i + keep), this.bodyFill);
        this.bodyFill += keep;
      }
      i += n;
      this.remaining -= n;
      if (this.remaining === 0) {
        this.inBody = false;
        emit({ cmd: this.cmd, size: this.size, body: this.body });
      }
    }
  }
}
