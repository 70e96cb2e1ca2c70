// Log lines a guest can trigger must be bounded: each key logs once, and the
// whole device at most `limit` lines, after which one line says so.
export type LogSink = (line: string) => void;

export class DeviceLog {
  private readonly seen = new Set<string>();
  private count = 0;
  suppressed = 0;

  constructor(
    private readonly sink: LogSink,
    private readonly limit = 64,
  ) {}

  /** Log `line` the first time `key` is seen, within the device's budget. */
  once(key: string, line: string): void {
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.emit(line);
  }

  emit(line: string): void {
    if (this.count < this.limit) {
      this.count++;
      this.sink(line);
    } else if (this.count === this.limit) {
      this.count++;
      this.sink("further log lines for this device are suppressed");
    } else this.suppressed++;
  }

  get lines(): number {
    return Math.min(this.count, this.limit + 1);
  }
}

/** A sink that keeps lines in memory: for tests and for the CLI to print at the end. */
export function memorySink(): { sink: LogSink; lines: string[] } {
  const lines: string[] = [];
  return { sink: (l) => lines.push(l), lines };
}
