import { parseArgs } from "node:util";
import { DEFAULT_EXAMPLE, type OpenedDevice, openDevice } from "../open-device.js";
import { type DeviceReport, deviceReport, firmwareWarnings, parseConsole } from "../serve/guest-report.js";
import { ensureGuest, guestCacheDir } from "../serve/guest.js";
import { bootGuest } from "../serve/qemu.js";
import { type Command, UsageError } from "./command.js";
import { reportWarnings, warningHelp, warningOptions, warningsFor } from "./warnings.js";

const hex = (n: number | bigint, w = 2) => n.toString(16).padStart(w, "0");

function sizeText(n: bigint | number): string {
  const v = Number(n);
  for (const [unit, k] of [["GiB", 2 ** 30], ["MiB", 2 ** 20], ["KiB", 1024]] as const) if (v >= k && v % k === 0) return `${v / k} ${unit}`;
  return `${v} bytes`;
}

function textReport(r: DeviceReport, i: number): string {
  const out = [`== device ${i}: ${r.path} at ${r.bdf}`];
  out.push(r.guestConfig ? "guest view (lspci -x layout; `lspci -F FILE -vv` decodes it):" : "THE GUEST DID NOT LIST THIS FUNCTION; the runtime's view:");
  out.push(r.lspci.trimEnd());
  out.push("resources the guest assigned:");
  if (r.bars.length === 0) out.push("  none");
  for (const b of r.bars) {
    const name = b.index === 6 ? "ROM  " : `BAR ${b.index}`;
    const runtime = b.runtime ? `runtime: ${sizeText(b.runtime.size)} from ${b.runtime.source}${BigInt(b.runtime.size) === b.size ? "" : " DIFFERS"}` : "runtime: no BAR";
    out.push(`  ${name} ${b.io ? "io " : "mem"} 0x${hex(b.start, 8)} ${sizeText(b.size).padEnd(9)} (${runtime})`);
  }
  const s = r.stats;
  out.push(`accesses served: ${r.accesses} (config ${s.configReads} reads, ${s.configWrites} writes; BAR ${s.barReads} reads, ${s.barWrites} writes; ${s.resets} resets)`);
  out.push(r.hostChanges.length === 0 ? "host bytes changed: none" : `host bytes changed: ${r.hostChanges.map((c) => `0x${hex(c.offset)} ${hex(c.before)}->${hex(c.after)}`).join(", ")}`);
  out.push(`guest view equals the runtime's: ${r.guestConfig ? (r.matchesRuntime ? "yes" : "NO") : "no guest view"}`);
  return out.join("\n");
}

function jsonReport(r: DeviceReport) {
  return {
    device: r.path,
    bdf: r.bdf,
    guestConfig: r.guestConfig ? Buffer.from(r.guestConfig).toString("hex") : null,
    runtimeConfig: Buffer.from(r.runtimeConfig).toString("hex"),
    matchesRuntime: r.matchesRuntime,
    resources: r.bars.map((b) => ({ index: b.index, space: b.io ? "io" : "mem", start: `0x${b.start.toString(16)}`, size: Number(b.size), runtime: b.runtime ?? null })),
    accesses: r.accesses,
    stats: r.stats,
    hostChanges: r.hostChanges,
    lspci: r.lspci,
  };
}

export const qemuCommand: Command = {
  name: "qemu",
  summary: "boot a real Linux guest in QEMU against served devices and show what it saw",
  help: `usage: cfgvirt qemu [--device FILE]... [--kernel K --initrd I] [--json] [--rules FILE]...

Starts QEMU (Debian package qemu-system-x86, 7.2 or later) with one
multi-process proxy device (x-pci-proxy-dev) per --device, serves each from
this process over its own socket, boots a small Linux guest that prints its
view of every PCI function, and waits for it to power off. Then prints per
device: the guest's view of configuration space (lspci -x layout), the
resources the guest assigned next to the runtime's BAR sizes, the accesses
served, and every host byte that changed. Progress goes to stderr, with the
firmware's warnings (SeaBIOS's debug log: where it waited on a device in vain).

The guest (Debian's cloud kernel and a busybox initramfs) is fetched with
apt-get download on first use and cached in ${guestCacheDir()}
(CFGVIRT_GUEST_DIR overrides). Only the first 256 bytes of configuration space
reach a proxied function, and without KVM it gets no INTx.

  --device FILE   a dump, binary config file or example rule file (repeatable;
                  default: the example NIC, examples/nic.rules)
  --rules FILE    extra rule or device files (repeatable)
  --kernel K      a kernel image instead of the cached one (with --initrd)
  --initrd I      an initramfs whose init prints cfgvirt:begin/config/resource/end blocks
  --timeout S     give up after S seconds (default 180)
  --build-guest   only fetch and build the guest (when missing or stale), print where it is
  --json          one JSON document instead of text
${warningHelp}

Exit status: 0 when the guest ran to the end and saw what the runtime says, 1 otherwise.
`,
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: {
        device: { type: "string", multiple: true },
        rules: { type: "string", multiple: true },
        kernel: { type: "string" },
        initrd: { type: "string" },
        timeout: { type: "string", default: "180" },
        "build-guest": { type: "boolean", default: false },
        json: { type: "boolean", default: false },
        ...warningOptions,
      },
    });
    const progress = (line: string) => io.err(`cfgvirt qemu: ${line}\n`);
    if (values["build-guest"]) {
      const g = ensureGuest({ progress });
      io.out(`${g.kernel}\n${g.initrd}\n`);
      return 0;
    }
    if ((values.kernel === undefined) !== (values.initrd === undefined)) throw new UsageError("give --kernel and --initrd together");
    const timeout = Number(values.timeout);
    if (!(timeout > 0)) throw new UsageError(`--timeout '${values.timeout}' is not a positive number of seconds`);
    const paths = values.device ?? [DEFAULT_EXAMPLE];
    if (paths.length > 23) throw new UsageError("at most 23 devices (PCI slots 0x08..0x1e of pcie.0)");
    const devices: OpenedDevice[] = paths.map((p) => openDevice(p, { rules: values.rules }));
    for (const d of devices) {
      const stop = reportWarnings(io, warningsFor(d, { rules: values.rules }), values["deny-warnings"]);
      if (stop !== undefined) return stop;
    }
    const guest = values.kernel && values.initrd ? { kernel: values.kernel, initrd: values.initrd } : ensureGuest({ progress });
    const result = await bootGuest({
      devices, guest, timeoutMs: timeout * 1000, progress,
      log: (i, line) => progress(`device ${i}: ${line}`),
    });
    const seen = parseConsole(result.console);
    const firmware = firmwareWarnings(result.firmwareLog);
    for (const w of firmware) progress(`firmware: ${w}`);
    const reports = devices.map((d, i) => deviceReport(i, d, result.sessions[i], seen));
    const ok = seen.complete && !result.timedOut && reports.every((r) => r.matchesRuntime);
    progress(`guest ${result.timedOut ? "TIMED OUT" : seen.complete ? "finished" : "stopped early"} after ${(result.bootMs / 1000).toFixed(1)} s; ${reports.reduce((n, r) => n + r.accesses, 0)} accesses served`);
    if (!seen.complete && result.stderr) io.err(result.stderr);
    if (values.json) {
      io.out(JSON.stringify({ complete: seen.complete, timedOut: result.timedOut, bootMs: result.bootMs, exitCode: result.exitCode, firmwareWarnings: firmware, devices: reports.map(jsonReport), guestLog: seen.log }, null, 2) + "\n");
    } else {
      io.out(reports.map(textReport).join("\n\n") + "\n");
    }
    return ok ? 0 : 1;
  },
};
