// The device model's log, as the talk asks of ioemu: every line starts with
// the date, time and process ID, `[2008-11-21 16:10:05 4567] ...`, so that a
// log can be read back against other logs when something goes wrong.
//
// A guest can make the device model log (a denied write, a refused power
// state), so the log is rate-limited twice: each device's DeviceLog keeps to
// its own budget, and this log as a whole to a token bucket (a burst, then a
// steady rate). Lines over the rate are counted, and the next line that gets
// through is preceded by one saying how many were dropped.
import type { LogSink } from "../runtime/log.js";

export interface DeviceModelLogOptions {
  /** Lines allowed at once (default 50). */
  readonly burst?: number;
  /** Lines per second after the burst (default 10). */
  readonly perSecond?: number;
  /** Milliseconds since the epoch (default Date.now); tests fix it. */
  readonly now?: () => number;
  /** The process ID printed (default process.pid). */
  readonly pid?: number;
}

const pad = (n: number, w = 2) => String(n).padStart(w, "0");

/** `YYYY-MM-DD HH:MM:SS` in local time, as ioemu printed it. */
export function logTimestamp(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export class DeviceModelLog {
  private tokens: number;
  private last: number;
  private readonly burst: number;
  private readonly perSecond: number;
  private readonly now: () => number;
  private readonly pid: number;
  /** Lines written, and lines dropped over the rate. */
  written = 0;
  suppressed = 0;
  private pendingSuppressed = 0;

  constructor(
    private readonly sink: LogSink,
    opts: DeviceModelLogOptions = {},
  ) {
    this.burst = opts.burst ?? 50;
    this.perSecond = opts.perSecond ?? 10;
    this.now = opts.now ?? Date.now;
    this.pid = opts.pid ?? process.pid;
    this.tokens = this.burst;
    this.last = this.now();
  }

  /** The sink to hand to a device (or anything else that logs). */
  readonly line: LogSink = (text) => {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.perSecond);
    this.last = t;
    if (this.tokens < 1) {
      this.suppressed++;
      this.pendingSuppressed++;
      return;
    }
    this.tokens -= 1;
    const prefix = `[${logTimestamp(t)} ${this.pid}]`;
    if (this.pendingSuppressed > 0) {
      this.sink(`${prefix} ${this.pendingSuppressed} log lines suppressed (rate limit)`);
      this.pendingSuppressed = 0;
    }
    this.written++;
    this.sink(`${prefix} ${text}`);
  };
}
