// Boot a real guest against served devices: QEMU with one `x-pci-proxy-dev`
// per device, each on its own connected UNIX stream socket (a child's stdio
// pipe: libuv makes those with socketpair), every device served in this
// process, until the guest has printed its report (QEMU is then stopped) or
// powers off.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Duplex } from "node:stream";
import { CfgvirtError, error } from "../diag/diagnostic.js";
import type { OpenedDevice } from "../open-device.js";
import { type GuestFiles } from "./guest.js";
import { serveStream } from "./server.js";
import { ProxySession } from "./session.js";

/** The first PCI slot the proxies take on pcie.0 (q35 keeps 0x00, 0x1f and the like). */
export const FIRST_SLOT = 0x08;

export interface BootOptions {
  readonly devices: readonly OpenedDevice[];
  readonly guest: GuestFiles;
  readonly qemu?: string;
  /** Give up (and kill QEMU) after this long. */
  readonly timeoutMs?: number;
  readonly progress?: (line: string) => void;
  readonly log?: (device: number, line: string) => void;
}

export interface BootResult {
  readonly console: string;
  readonly sessions: readonly ProxySession[];
  readonly exitCode: number | null;
  readonly bootMs: number;
  readonly timedOut: boolean;
  readonly stderr: string;
  /** SeaBIOS's debug output (I/O port 0x402): where it waited on a device and gave up, it says so. */
  readonly firmwareLog: string;
}

export function qemuBinary(env: NodeJS.ProcessEnv = process.env): string {
  return env.CFGVIRT_QEMU ?? "qemu-system-x86_64";
}

/** A clear error when QEMU is missing or has no proxy device. */
export function checkQemu(binary: string): void {
  const r = spawnSync(binary, ["-device", "help"], { encoding: "utf8" });
  if (r.error || r.status !== 0) {
    throw new CfgvirtError([error("Q001", `cannot run ${binary}`, undefined, "install the Debian package qemu-system-x86 (or set CFGVIRT_QEMU)")]);
  }
  if (!r.stdout.includes("x-pci-proxy-dev") && !r.stderr.includes("x-pci-proxy-dev")) {
    throw new CfgvirtError([error("Q002", `${binary} has no x-pci-proxy-dev (multi-process QEMU)`, undefined, "Debian's qemu-system-x86 7.2 has it")]);
  }
}

/** SeaBIOS writes its debug log to this port; QEMU's isa-debugcon captures it. */
const FIRMWARE_DEBUG_PORT = "0x402";

export function qemuArgs(deviceCount: number, guest: GuestFiles, firmwareLog?: string): string[] {
  const args = [
    "-machine", "q35,memory-backend=mem",
    // The proxy shares guest RAM with the device process; it must be a shareable memfd.
    "-object", "memory-backend-memfd,id=mem,size=256M,share=on",
    "-m", "256M", "-nodefaults", "-no-user-config", "-display", "none", "-vga", "none",
    "-serial", "stdio", "-no-reboot",
    "-kernel", guest.kernel, "-initrd", guest.initrd,
    "-append", "console=ttyS0 quiet loglevel=1 panic=-1",
  ];
  if (firmwareLog !== undefined) {
    args.push("-chardev", `file,id=firmware,path=${firmwareLog}`, "-device", `isa-debugcon,iobase=${FIRMWARE_DEBUG_PORT},chardev=firmware`);
  }
  for (let i = 0; i < deviceCount; i++) {
    args.push("-device", `x-pci-proxy-dev,id=cfgvirt${i},fd=${3 + i},bus=pcie.0,addr=0x${(FIRST_SLOT + i).toString(16)}`);
  }
  return args;
}

export function bootGuest(opts: BootOptions): Promise<BootResult> {
  const binary = opts.qemu ?? qemuBinary();
  checkQemu(binary);
  const n = opts.devices.length;
  const sessions = opts.devices.map((d, i) => new ProxySession(d, (line) => opts.log?.(i, line)));
  const logDir = mkdtempSync(join(tmpdir(), "cfgvirt-firmware-"));
  const firmwareLog = join(logDir, "seabios.log");
  const started = Date.now();
  const child = spawn(binary, qemuArgs(n, opts.guest, firmwareLog), { stdio: ["ignore", "pipe", "pipe", ...Array.from({ length: n }, () => "pipe" as const)] });
  const served = sessions.map((s, i) => serveStream(child.stdio[3 + i] as Duplex, s));
  let consoleText = "";
  let stopping = false;
  let stderr = "";
  let line = "";
  child.stdout!.setEncoding("latin1");
  child.stdout!.on("data", (text: string) => {
    consoleText += text;
    line += text;
    const parts = line.split("\n");
    line = parts.pop()!;
    // A kernel message may share the line with the init's output: look anywhere in it.
    for (const p of parts) {
      if (p.includes("cfgvirt:init")) opts.progress?.(`guest kernel up after ${((Date.now() - started) / 1000).toFixed(1)} s; reading its PCI view`);
      else if (p.includes("cfgvirt:done") && !stopping) {
        // The report's last line has arrived, so all of it has: stop QEMU (it exits 0 on SIGTERM).
        stopping = true;
        opts.progress?.("guest done; stopping QEMU");
        child.kill("SIGTERM");
      }
    }
  });
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (t: string) => (stderr += t));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill("SIGKILL");
  }, opts.timeoutMs ?? 180_000);
  opts.progress?.(`booting QEMU with ${n} served device${n === 1 ? "" : "s"}`);
  return new Promise((resolve, reject) => {
    child.on("error", (e) => {
      clearTimeout(timer);
      rmSync(logDir, { recursive: true, force: true });
      reject(e);
    });
    child.on("close", async (code) => {
      clearTimeout(timer);
      await Promise.all(served);
      let log = "";
      try {
        log = readFileSync(firmwareLog, "latin1");
      } catch {
        // QEMU stopped before it opened the log: nothing was said.
      }
      rmSync(logDir, { recursive: true, force: true });
      resolve({ console: consoleText, sessions, exitCode: code, bootMs: Date.now() - started, timedOut, stderr, firmwareLog: log });
    });
  });
}
