// What the guest said about each PCI function (parsed from the serial console)
// next to what the runtime says, per served device.
import { formatLspciDump } from "../host/dump.js";
import { guestView, type OpenedDevice } from "../open-device.js";
import type { BarInfo } from "../runtime/bars.js";
import { FIRST_SLOT } from "./qemu.js";
import type { ProxySession, SessionStats } from "./session.js";

/** Only the first 256 bytes reach a proxied function (QEMU's proxy is a conventional PCI device). */
export const PROXY_CONFIG_SIZE = 256;

export interface GuestFunction {
  readonly config: Uint8Array;
  /** sysfs `resource` lines: BARs 0-5, then the ROM at 6. */
  readonly resources: readonly { readonly start: bigint; readonly end: bigint; readonly flags: bigint }[];
}

export interface GuestConsole {
  readonly functions: ReadonlyMap<string, GuestFunction>;
  /** The guest kernel's PCI log lines. */
  readonly log: readonly string[];
  /** The init script ran to its end. */
  readonly complete: boolean;
}

/**
 * The firmware's warnings, from its debug log: SeaBIOS says `WARNING - Timeout at
 * FUNCTION:LINE!` where it waited on a device register that never moved.
 */
export function firmwareWarnings(log: string): string[] {
  return log.split("\n").map((l) => l.replace(/\r$/, "")).filter((l) => l.startsWith("WARNING"));
}

export function parseConsole(text: string): GuestConsole {
  const functions = new Map<string, GuestFunction>();
  const log: string[] = [];
  let current: { bdf: string; config: Uint8Array; resources: GuestFunction["resources"][number][] } | undefined;
  let complete = false;
  for (const raw of text.split("\n")) {
    const line = raw.replace(/\r$/, "");
    const at = line.indexOf("cfgvirt:");
    if (at < 0) continue;
    const [tag, ...rest] = line.slice(at).split(" ").filter((s) => s !== "");
    if (tag === "cfgvirt:begin") current = { bdf: rest[0], config: new Uint8Array(0), resources: [] };
    else if (tag === "cfgvirt:config" && current) current.config = Uint8Array.from(rest.map((h) => parseInt(h, 16)));
    else if (tag === "cfgvirt:resource" && current && rest.length === 3) {
      const [start, end, flags] = rest.map((h) => BigInt(h));
      current.resources.push({ start, end, flags });
    } else if (tag === "cfgvirt:end" && current) {
      functions.set(current.bdf, { config: current.config, resources: current.resources });
      current = undefined;
    } else if (tag === "cfgvirt:log") log.push(rest.join(" "));
    else if (tag === "cfgvirt:done") complete = true;
  }
  return { functions, log, complete };
}

export function bdfOf(index: number): string {
  return `0000:00:${(FIRST_SLOT + index).toString(16).padStart(2, "0")}.0`;
}

export interface AssignedBar {
  readonly index: number;
  readonly start: bigint;
  readonly size: bigint;
  readonly io: boolean;
  /** The runtime's size and where it came from. */
  readonly runtime: Pick<BarInfo, "kind" | "size" | "source"> | undefined;
}

export interface HostChange {
  readonly offset: number;
  readonly before: number;
  readonly after: number;
}

export interface DeviceReport {
  readonly path: string;
  readonly bdf: string;
  /** The guest's own view (256 bytes), or undefined when the guest never listed the function. */
  readonly guestConfig: Uint8Array | undefined;
  /** The runtime's view of the same 256 bytes after the same accesses. */
  readonly runtimeConfig: Uint8Array;
  readonly matchesRuntime: boolean;
  readonly bars: readonly AssignedBar[];
  readonly stats: SessionStats;
  readonly accesses: number;
  readonly hostChanges: readonly HostChange[];
  readonly lspci: string;
}

export function deviceReport(index: number, opened: OpenedDevice, session: ProxySession, guest: GuestConsole): DeviceReport {
  const bdf = bdfOf(index);
  const fn = guest.functions.get(bdf);
  const runtimeConfig = guestView(opened.device, PROXY_CONFIG_SIZE);
  const guestConfig = fn?.config.length === PROXY_CONFIG_SIZE ? fn.config : undefined;
  const bars: AssignedBar[] = [];
  for (const [i, r] of (fn?.resources ?? []).entries()) {
    if (i > 6 || r.end === 0n) continue;
    // IORESOURCE_ROM_SHADOW: Linux's x86 video fixup points the boot VGA
    // device's ROM at the legacy shadow (0xC0000, 128 KiB), not at its ROM BAR.
    if (i === 6 && (r.flags & 0x2n) !== 0n) continue;
    const bar = opened.tables.bars.find((b) => b.index === i);
    bars.push({ index: i, start: r.start, size: r.end - r.start + 1n, io: (r.flags & 0x100n) !== 0n, runtime: bar && { kind: bar.kind, size: bar.size, source: bar.source } });
  }
  const before = opened.source.bytes;
  const after = opened.host.bytes();
  const hostChanges: HostChange[] = [];
  for (let i = 0; i < after.length; i++) if (before[i] !== after[i]) hostChanges.push({ offset: i, before: before[i], after: after[i] });
  const id = (b: Uint8Array, o: number) => (b[o] | (b[o + 1] << 8)).toString(16).padStart(4, "0");
  const shown = guestConfig ?? runtimeConfig;
  return {
    path: opened.source.path,
    bdf,
    guestConfig,
    runtimeConfig,
    matchesRuntime: guestConfig !== undefined && guestConfig.every((b, i) => b === runtimeConfig[i]),
    bars,
    stats: { ...session.stats },
    accesses: session.accesses,
    hostChanges,
    lspci: formatLspciDump(shown, `${bdf.slice(5)} Device ${id(shown, 0)}:${id(shown, 2)} (guest view of ${opened.source.path})`),
  };
}
