// The device-model log: `[YYYY-MM-DD HH:MM:SS PID]` on every line, as the
// talk shows, and rate-limited.
import { describe, expect, it } from "vitest";
import { DeviceModelLog, logTimestamp } from "../../src/platform/dm-log.js";
import { Machine } from "../../src/platform/machine.js";
import { AER_ENDPOINT, ecamWrite, imageFile, programBuses } from "./helpers.js";

const LINE = /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \d+\] /;

describe("device-model log", { timeout: 60_000 }, () => {
  it("prefixes every line with date, time and PID", () => {
    const lines: string[] = [];
    const at = new Date(2008, 10, 21, 16, 10, 5).getTime();
    const log = new DeviceModelLog((l) => lines.push(l), { now: () => at, pid: 4567 });
    log.line("shared page at pfn 1ffe");
    expect(lines).toEqual(["[2008-11-21 16:10:05 4567] shared page at pfn 1ffe"]);
    expect(logTimestamp(at)).toBe("2008-11-21 16:10:05");
  });

  it("is rate-limited: a burst, then a steady rate, with the dropped count reported", () => {
    const lines: string[] = [];
    let now = 0;
    const log = new DeviceModelLog((l) => lines.push(l), { now: () => now, pid: 1, burst: 5, perSecond: 2 });
    for (let i = 0; i < 100; i++) log.line(`line ${i}`);
    expect(lines).toHaveLength(5);
    expect(log.suppressed).toBe(95);
    now += 1000; // two more tokens
    log.line("after a second");
    expect(lines.slice(5)).toEqual([expect.stringMatching(/\] 95 log lines suppressed \(rate limit\)$/), expect.stringMatching(/\] after a second$/)]);
    expect(lines.every((l) => LINE.test(l))).toBe(true);
  });

  it("a machine's device lines carry the prefix and the device's name", () => {
    const lines: string[] = [];
    const m = new Machine({ log: (l) => lines.push(l) });
    const fn = m.plug(1, imageFile("log-endpoint", AER_ENDPOINT), { name: "ep" });
    programBuses(m, 1, 1);
    ecamWrite(m, 1, 0, 0, fn.pm! + 4, 2, 0); // accepted: no line
    ecamWrite(m, 1, 0, 0, 0xe00, 4, 0xffffffff); // default deny: one line
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((l) => LINE.test(l))).toBe(true);
    expect(lines.some((l) => /\] ep: write to 0xe00/.test(l))).toBe(true);
  });
});
