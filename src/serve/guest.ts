// The small Linux guest `cfgvirt qemu` boots: Debian's cloud kernel and a
// busybox initramfs whose init prints every PCI function's configuration space
// and resources to the serial console, then powers off. Fetched with
// `apt-get download` and unpacked with `dpkg -x` (no install), cached under
// $CFGVIRT_GUEST_DIR, else $XDG_CACHE_HOME/cfgvirt/guest, else
// ~/.cache/cfgvirt/guest; never part of the project.
import { execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { CfgvirtError, error } from "../diag/diagnostic.js";

export interface GuestFiles {
  readonly kernel: string;
  readonly initrd: string;
}

export function guestCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.CFGVIRT_GUEST_DIR ?? join(env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "cfgvirt", "guest");
}

/**
 * The guest's /init. Each PCI function prints as a block between
 * `cfgvirt:begin BDF` and `cfgvirt:end`, which guest-report.ts parses.
 * `cfgvirt:done` is the last line: the host stops QEMU once it has read it
 * (qemu.ts). The guest does not power off at once: `poweroff -f` does not wait
 * for the serial driver to send what it still buffers, and under load the
 * console's last lines were lost. It powers off by itself only if no host
 * stopped it within 5 s.
 */
export const GUEST_INIT = `#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
echo "cfgvirt:init"
for d in /sys/bus/pci/devices/*; do
  echo "cfgvirt:begin \${d##*/}"
  echo "cfgvirt:config $(od -An -v -tx1 "$d/config" | tr -d '\\n')"
  while read -r start end flags; do echo "cfgvirt:resource $start $end $flags"; done < "$d/resource"
  echo "cfgvirt:end"
done
dmesg | grep -e "pci 0000:00:" -e "BAR" | sed 's/^/cfgvirt:log /'
echo "cfgvirt:done"
sleep 5
poweroff -f
`;

const run = (cmd: string, args: string[], cwd?: string): string => execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

function fail(message: string, help: string): never {
  throw new CfgvirtError([error("G001", message, undefined, help)]);
}

/** The kernel the cloud meta-package names (linux-image-6.1.0-N-cloud-amd64). */
function kernelPackage(): string {
  let deps = "";
  try {
    deps = run("apt-cache", ["depends", "linux-image-cloud-amd64"]);
  } catch {
    fail("cannot find a guest kernel: apt-cache knows no linux-image-cloud-amd64", "on Debian, run `apt-get update`; or give --kernel and --initrd");
  }
  const m = /Depends: (linux-image-[0-9][^\s]*-cloud-amd64)\s/.exec(deps + "\n");
  if (!m) fail("linux-image-cloud-amd64 names no kernel package", "run `apt-get update`, or give --kernel and --initrd");
  return m[1];
}

function fetchKernel(out: string, work: string): void {
  const pkg = kernelPackage();
  // The -unsigned build is the same kernel without the Secure Boot signature.
  try {
    run("apt-get", ["download", "-q", `${pkg}-unsigned`], work);
  } catch {
    try {
      run("apt-get", ["download", "-q", pkg], work);
    } catch {
      fail(`apt-get download ${pkg} failed`, "the guest kernel comes from Debian's linux-image-cloud-amd64; check the network and apt sources, or give --kernel");
    }
  }
  const deb = readdirSync(work).find((f) => f.startsWith("linux-image-") && f.endsWith(".deb"))!;
  run("dpkg", ["-x", deb, "kernel"], work);
  const boot = join(work, "kernel", "boot");
  const vmlinuz = readdirSync(boot).find((f) => f.startsWith("vmlinuz-"));
  if (!vmlinuz) fail(`${deb} holds no /boot/vmlinuz-*`, "give --kernel");
  copyFileSync(join(boot, vmlinuz), join(out, "vmlinuz.tmp"));
  renameSync(join(out, "vmlinuz.tmp"), join(out, "vmlinuz"));
}

/** A statically linked busybox: the installed busybox-static, else its .deb unpacked. */
function staticBusybox(work: string): string {
  for (const b of ["/bin/busybox", "/usr/bin/busybox"]) {
    if (!existsSync(b)) continue;
    let dynamic = true;
    try {
      run("ldd", [b]);
    } catch {
      dynamic = false; // ldd fails on a static binary
    }
    if (!dynamic) return b;
  }
  try {
    run("apt-get", ["download", "-q", "busybox-static"], work);
  } catch {
    fail("a static busybox is needed for the guest's initramfs", "install the Debian package busybox-static");
  }
  const deb = readdirSync(work).find((f) => f.startsWith("busybox-static_"))!;
  run("dpkg", ["-x", deb, "bb"], work);
  return join(work, "bb", "bin", "busybox");
}

function buildInitramfs(out: string, work: string): void {
  const busybox = staticBusybox(work);
  const root = join(work, "root");
  for (const d of ["bin", "proc", "sys", "dev"]) mkdirSync(join(root, d), { recursive: true });
  copyFileSync(busybox, join(root, "bin", "busybox"));
  writeFileSync(join(root, "init"), GUEST_INIT);
  chmodSync(join(root, "init"), 0o755);
  chmodSync(join(root, "bin", "busybox"), 0o755);
  const tmp = join(out, "initramfs.cpio.gz.tmp");
  execFileSync("sh", ["-c", `find . | "$0" cpio -o -H newc 2>/dev/null | gzip -9 > "$1"`, busybox, tmp], { cwd: root, stdio: ["ignore", "ignore", "pipe"] });
  renameSync(tmp, join(out, "initramfs.cpio.gz"));
  writeFileSync(join(out, "init"), GUEST_INIT);
}

/** The cached kernel and initramfs, fetched and built on first use (or with `force`). */
export function ensureGuest(opts: { force?: boolean; progress?: (line: string) => void; dir?: string } = {}): GuestFiles {
  const out = opts.dir ?? guestCacheDir();
  const kernel = join(out, "vmlinuz");
  const initrd = join(out, "initramfs.cpio.gz");
  const initFile = join(out, "init");
  const stale = !existsSync(initFile) || !existsSync(initrd) || readFileSync(initFile, "utf8") !== GUEST_INIT;
  if (!opts.force && existsSync(kernel) && !stale) return { kernel, initrd };
  mkdirSync(out, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), "cfgvirt-guest-"));
  try {
    if (opts.force || !existsSync(kernel)) {
      opts.progress?.(`fetching the guest kernel (Debian linux-image-cloud-amd64) into ${out}`);
      fetchKernel(out, work);
    }
    opts.progress?.(`building the guest initramfs (busybox) in ${out}`);
    buildInitramfs(out, work);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return { kernel, initrd };
}
