// Issue 11's inputs: live devices from sysfs, `cfgvirt list`, standard input and
// process substitution, several devices in one dump picked with lspci's -s/-d,
// and `lspci -vvv -xxx(x)` output with its [size=] lines.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatLspciDump, parseLspciDump, parseLspciDumps } from "../../src/host/dump.js";
import { canonicalAddress, listAddresses, parseResource, readSysfsDevice, SYSFS_PCI_DEVICES } from "../../src/host/sysfs.js";
import { openSource, readDeviceSource } from "../../src/open-device.js";
import { packageRoot } from "../../src/paths.js";
import type { AttachOptions } from "../../src/runtime/attach.js";
import type { TableCache } from "../../src/runtime/table-cache.js";
import { cli } from "../helpers/cli.js";
import { CLI_JS } from "../helpers/dist.js";
import { sharedDumps } from "../helpers/devices.js";
import { haveLspci } from "../helpers/lspci.js";
import { errorOf } from "../helpers/errors.js";

const dir = mkdtempSync(join(tmpdir(), "cfgvirt-inputs-"));


/** A Type 0 configuration space of `n` bytes with the given IDs, class and header type. */
function config(vendor: number, device: number, classCode: number, headerType = 0, n = 256): Uint8Array {
  const b = new Uint8Array(n);
  b.set([vendor & 0xff, vendor >> 8, device & 0xff, device >> 8], 0);
  b.set([0x01, classCode & 0xff, (classCode >> 8) & 0xff, classCode >> 16], 8);
  b[0x0e] = headerType;
  b.set([0x00, 0x00, 0x80, 0xe0], 0x10); // BAR0: 32-bit memory at 0xe0800000
  return b;
}

const liveAddresses = listAddresses();
const live = liveAddresses.filter((a) => {
  try {
    const d = readSysfsDevice(a);
    return (d.bytes[0x0e] & 0x7f) === 0 && d.sizes?.bars.some((s) => s !== undefined);
  } catch {
    return false;
  }
});
if (live.length === 0) console.warn(`skipping live-device tests: no readable Type 0 device with a BAR under ${SYSFS_PCI_DEVICES}`);

/** Run the real command line (for standard input and the shell's process substitution). */
function shell(script: string, input?: string) {
  return spawnSync("bash", ["-c", script], { cwd: packageRoot, input, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
}
const CFGVIRT = `node ${CLI_JS}`;

describe("11 live devices from sysfs", () => {
  it("11 PCI addresses are recognised in both spellings", () => {
    expect(canonicalAddress("00:03.0")).toBe("0000:00:03.0");
    expect(canonicalAddress("0000:00:03.0")).toBe("0000:00:03.0");
    expect(canonicalAddress("00:03.8")).toBeUndefined();
    expect(canonicalAddress("dump.lspci")).toBeUndefined();
  });

  it("11 sysfs resource gives BAR and ROM sizes", () => {
    const text = [
      "0x00000000e0800000 0x00000000e081ffff 0x0000000000040200",
      "0x00000000e0000000 0x00000000e03fffff 0x0000000000040200",
      "0x0000000000001020 0x000000000000103f 0x0000000000040101",
      "0x0000004000100000 0x000000400017ffff 0x0000000000140204",
      "0x0000000000000000 0x0000000000000000 0x0000000000000000",
      "0x0000000000000000 0x0000000000000000 0x0000000000000000",
      "0x00000000c7800000 0x00000000c787ffff 0x0000000000046200",
      "0x0000000000000000 0x0000000000000000 0x0000000000000000",
    ].join("\n");
    expect(parseResource(text)).toEqual({ bars: [128 << 10, 4 << 20, 32, 512 << 10, undefined, undefined], rom: 512 << 10, source: "sysfs resource" });
  });

  it.skipIf(live.length === 0)("11 --device 0000:00:03.0 and 00:03.0 read sysfs config and resource", async () => {
    const address = live[0];
    const bytes = readFileSync(join(SYSFS_PCI_DEVICES, address, "config"));
    for (const spelling of [address, address.replace(/^0000:/, "")]) {
      const source = readDeviceSource(spelling);
      expect(Buffer.from(source.bytes).equals(bytes)).toBe(true);
      expect(source.inputSizes?.source).toBe("sysfs resource");
      const resource = readFileSync(join(SYSFS_PCI_DEVICES, address, "resource"), "utf8").split("\n")[0].split(" ");
      const bar0 = BigInt(resource[1]) - BigInt(resource[0]) + 1n;
      if (bar0 > 1n) expect(source.inputSizes?.bars[0]).toBe(Number(bar0));
    }
    expect(readDeviceSource(join(SYSFS_PCI_DEVICES, address, "config")).inputSizes?.source).toBe("sysfs resource");
    const r = await cli("view", "--device", address.replace(/^0000:/, ""));
    expect(r.code).toBe(0);
    expect(r.out.split("\n")[0]).toMatch(new RegExp(`^${address} [0-9a-f]{4}: ${bytes.readUInt16LE(0).toString(16).padStart(4, "0")}:`));
  });

  it("11 an address with no device says so", async () => {
    const r = await cli("view", "--device", "0000:7f:1f.7");
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/error\[H001\]: no PCI device 0000:7f:1f\.7/);
  });

  // The unprivileged process must reach the project's files: a checkout under a
  // private (0700) directory, as CI's fresh clone is, cannot run as nobody.
  const reachableByOthers = (p: string): boolean => p === dirname(p) || ((statSync(p).mode & 0o001) !== 0 && reachableByOthers(dirname(p)));
  const canDropRoot = process.getuid?.() === 0 && spawnSync("setpriv", ["--version"]).status === 0 && reachableByOthers(packageRoot);
  if (!canDropRoot) it.skip(`11 a short sysfs read as nobody: needs root, setpriv and a checkout nobody can reach (${packageRoot})`, () => {});
  it.skipIf(live.length === 0 || !canDropRoot)("11 a short sysfs read (not root) is an error that says why", () => {
    const r = spawnSync("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "bash", "-c", `${CFGVIRT} view --device ${live[0]}; ${CFGVIRT} view --device ${SYSFS_PCI_DEVICES}/${live[0]}/config`], {
      cwd: packageRoot,
      encoding: "utf8",
      env: { ...process.env, HOME: tmpdir() },
    });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/error\[H002\]: read only 64 of (256|4096) bytes of .*\/config/);
    expect(r.stderr).toMatch(/only to root \(CAP_SYS_ADMIN\)/);
    // The same, when the sysfs file is named by its path.
    expect(r.stderr.match(/error\[H002\]/g), r.stderr).toHaveLength(2);
  }, 60_000);
});

describe("11 cfgvirt list", () => {
  it.skipIf(liveAddresses.length === 0)("11 lists this machine's devices with a verdict and a reason for each", async () => {
    const r = await cli("list", "--json");
    expect(r.code).toBe(0);
    const listed = JSON.parse(r.out) as { devices: { address: string; passThrough: boolean; reason: string; classCode: string }[] };
    expect(listed.devices.map((d) => d.address)).toEqual(liveAddresses);
    for (const d of listed.devices) {
      expect(d.reason.length).toBeGreaterThan(5);
      if (d.classCode === "0600") expect(d.passThrough).toBe(false);
    }
    const text = await cli("list");
    for (const a of liveAddresses) expect(text.out).toMatch(new RegExp(`^${a}  [0-9a-f]{4}:[0-9a-f]{4}  \\[[0-9a-f]{4}\\] .*\\n  pass-through: (yes|no), `, "m"));
  });
  if (liveAddresses.length === 0) it.skip(`11 list on this machine: ${SYSFS_PCI_DEVICES} is empty`, () => {});

  it("11 on a sysfs tree: bridges and host bridges stay, endpoints pass, sizes come from resource", async () => {
    const root = join(dir, "sysfs");
    const add = (address: string, bytes: Uint8Array, resource?: string) => {
      mkdirSync(join(root, address), { recursive: true });
      writeFileSync(join(root, address, "config"), bytes);
      if (resource) writeFileSync(join(root, address, "resource"), resource);
    };
    add("0000:00:00.0", config(0x8086, 0x0d57, 0x060000));
    add("0000:00:01.0", config(0x8086, 0x2f02, 0x060400, 1));
    add("0000:01:00.0", config(0x8086, 0x10c9, 0x020000), "0x00000000e0800000 0x00000000e081ffff 0x0000000000040200\n" + "0x0 0x0 0x0\n".repeat(6));
    mkdirSync(join(root, "not-a-device"));
    symlinkSync("/nonexistent/vfio-pci", join(root, "0000:01:00.0", "driver"));
    const r = await cli("list", "--sysfs", root);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^0000:00:00\.0  8086:0d57  \[0600\] Bridge\n  pass-through: no, the host bridge/m);
    expect(r.out).toMatch(/^0000:00:01\.0  8086:2f02  \[0604\] Bridge\n  pass-through: no, a bridge \(header type 1\)/m);
    expect(r.out).toMatch(/^0000:01:00\.0  8086:10c9  \[0200\] Network controller\n  pass-through: yes, device file /m);
    expect(r.out).toMatch(/driver: vfio-pci; IOMMU group: none/);
    const json = JSON.parse((await cli("list", "--sysfs", root, "--json")).out) as { devices: { address: string; bars?: { index: number; size: number; from: string }[] }[] };
    expect(json.devices.map((d) => d.address)).toEqual(["0000:00:00.0", "0000:00:01.0", "0000:01:00.0"]);
    expect(json.devices[2].bars?.[0].index).toBe(0);
  });

  it("11 an empty sysfs says so", async () => {
    const empty = join(dir, "empty-sysfs");
    mkdirSync(empty);
    const r = await cli("list", "--sysfs", empty);
    expect(r.code).toBe(0);
    expect(r.out).toBe(`no PCI devices under ${empty}\n`);
  });
});

describe("11 dumps from standard input and process substitution", () => {
  const dump = formatLspciDump(config(0x8086, 0x10c9, 0x020000), "01:00.0 Ethernet controller: Intel Corporation 82576");
  const file = join(dir, "one.lspci");
  writeFileSync(file, dump);

  it("11 --device - reads standard input", () => {
    const r = shell(`${CFGVIRT} view --device - --bar 0=128K`, dump);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout.split("\n")[0]).toBe("01:00.0 Ethernet controller: Intel Corporation 82576");
    expect(r.stdout).toMatch(/^00: 86 80 c9 10/m);
  }, 60_000);

  it("11 --device <(...) reads a process substitution", () => {
    const r = shell(`${CFGVIRT} view --device <(cat '${file}') --bar 0=128K && ${CFGVIRT} replay --device <(cat '${file}') --bar 0=128K <(echo 'r 0x00 4')`);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^00: 86 80 c9 10/m);
    expect(r.stdout).toMatch(/^r 0x00 4 = 0x10c98086$/m);
  }, 60_000);
});

describe("11 several devices in one dump, picked as lspci picks them", () => {
  const a = formatLspciDump(config(0x8086, 0x10c9, 0x020000), "0000:01:00.0 Ethernet controller: A");
  const b = formatLspciDump(config(0x8086, 0x10d3, 0x020000), "0000:01:00.1 Ethernet controller: B");
  const c = formatLspciDump(config(0x144d, 0xa808, 0x010802), "0001:02:1f.0 Non-Volatile memory controller: C");
  const text = `${a}\n${b}\n${c}`;
  const pick = (slot?: string, id?: string) => parseLspciDump("multi.lspci", text, { slot, id }).title?.split(" ")[0];

  it.each([
    ["01:00.0", undefined, "0000:01:00.0"],
    ["0000:01:00.1", undefined, "0000:01:00.1"],
    ["1:0.1", undefined, "0000:01:00.1"],
    ["1:2:1f", undefined, "0001:02:1f.0"],
    ["1f.0", undefined, "0001:02:1f.0"],
    ["02:", undefined, "0001:02:1f.0"],
    [".1", undefined, "0000:01:00.1"],
    [undefined, "8086:10d3", "0000:01:00.1"],
    [undefined, ":a808", "0001:02:1f.0"],
    [undefined, "144d:", "0001:02:1f.0"],
    [undefined, "8086::0200", undefined],
    ["01:", "8086:10c9", "0000:01:00.0"],
  ])("11 -s %s -d %s picks %s", (slot, id, want) => {
    if (want === undefined) expect(() => pick(slot, id)).toThrow(/D004/);
    else expect(pick(slot, id)).toBe(want);
  });

  it("11 without a choice, or with one that matches none, the error lists the devices", () => {
    const all = errorOf(() => parseLspciDump("multi.lspci", text));
    expect(all.message).toMatch(/^multi\.lspci:\d+:1: error\[D004\]: the dump holds 3 devices \(0000:01:00\.0, 0000:01:00\.1, 0001:02:1f\.0\); a second device starts here/);
    expect(all.message).toContain("help: pick one with -s SLOT");
    expect(errorOf(() => pick("03:00.0")).message).toMatch(/error\[D007\]: no device in multi\.lspci matches -s 03:00\.0\n[^]*help: the dump holds 0000:01:00\.0, 0000:01:00\.1, 0001:02:1f\.0/);
    expect(errorOf(() => pick("zz:00.0")).message).toMatch(/error\[D006\]: -s zz:00\.0: invalid bus `zz`/);
    expect(errorOf(() => pick(undefined, "8086")).message).toMatch(/error\[D006\]: -d 8086: expected VENDOR:DEVICE/);
  });

  it("11 the verbs take -s and -d", async () => {
    const file = join(dir, "multi.lspci");
    writeFileSync(file, text);
    const s = await cli("view", "--device", file, "-s", "01:00.1");
    expect(s.code).toBe(0);
    expect(s.out.split("\n")[0]).toBe("0000:01:00.1 Ethernet controller: B");
    const d = await cli("explain", "--device", file, "-d", "144d:a808", "0x00");
    expect(d.code).toBe(0);
    expect(d.out).toMatch(/vendor_id/);
    const none = await cli("view", "--device", file);
    expect(none.code).not.toBe(0);
    expect(none.err).toMatch(/error\[D004\]: the dump holds 3 devices/);
  });
});

describe("11 lspci -vvv -xxx / -xxxx output", () => {
  const dumps = sharedDumps();
  it.skipIf(!haveLspci || dumps.length === 0)("11 reads `lspci -F X -vvv -xxxx` of every real dump as the dump itself", () => {
    for (const path of dumps) {
      for (const x of ["-xxxx", "-xxx"]) {
        const r = spawnSync("lspci", ["-F", path, "-vvv", x], { encoding: "utf8" });
        const verbose = parseLspciDump(path, r.stdout);
        const plain = parseLspciDump(path, readFileSync(path, "utf8"));
        const n = x === "-xxxx" ? plain.bytes.length : Math.min(256, plain.bytes.length);
        expect(Buffer.from(verbose.bytes).equals(Buffer.from(plain.bytes.subarray(0, n))), `${path} ${x}`).toBe(true);
      }
    }
  });

  it("11 takes BAR and ROM sizes from the device's own [size=] lines, not a capability's", () => {
    const rows = formatLspciDump(config(0x8086, 0x10c9, 0x020000), "01:00.0 Ethernet controller: Intel Corporation 82576 Gigabit Network Connection (rev 01)").split("\n");
    const text = [
      rows[0],
      "\tSubsystem: Intel Corporation Gigabit ET Dual Port Server Adapter",
      "\tRegion 0: Memory at e0800000 (32-bit, non-prefetchable) [size=128K]",
      "\tRegion 1: Memory at e0000000 (32-bit, non-prefetchable) [size=4M]",
      "\tRegion 2: I/O ports at 1020 [size=32]",
      "\tRegion 3: Memory at e0840000 (32-bit, non-prefetchable) [size=16K]",
      "\tExpansion ROM at c7800000 [disabled] [size=512K]",
      "\tCapabilities: [160 v1] Single Root I/O Virtualization (SR-IOV)",
      "\t\tRegion 0: Memory at 00000000d2840000 (64-bit, non-prefetchable) [size=16K]",
      "\tKernel driver in use: igb",
      ...rows.slice(1),
    ].join("\n");
    const d = parseLspciDump("v.lspci", text);
    expect(d.sizes).toEqual({ bars: [128 << 10, 4 << 20, 32, 16 << 10], rom: 512 << 10, source: "lspci [size=] lines" });
    expect(parseLspciDumps("v.lspci", text)).toHaveLength(1);
  });

  const liveLspci = haveLspci && live.length > 0 ? spawnSync("lspci", ["-s", live[0], "-vvv", "-xxx"], { encoding: "utf8" }).stdout : "";
  it.skipIf(!/\[size=/.test(liveLspci))("11 reads this machine's own `lspci -vvv -xxx` with its sizes", () => {
    const d = parseLspciDump("live", liveLspci);
    expect(d.sizes?.bars.some((s) => s !== undefined)).toBe(true);
    const sysfs = readSysfsDevice(live[0]);
    d.sizes!.bars.forEach((s, i) => s !== undefined && expect(s).toBe(sysfs.sizes?.bars[i]));
  });

  it("11 the sizes an input carries reach attach as inputSizes", () => {
    const source = readDeviceSource(join(dir, "sized.lspci"), [], {});
    const seen: AttachOptions[] = [];
    const spy = { attach: (_c: unknown, _h: unknown, opts: AttachOptions) => (seen.push(opts), { hardware: undefined }) } as unknown as TableCache;
    try {
      openSource(source, { tableCache: spy });
    } catch {
      // The spy returns no tables; only what it was given matters here.
    }
    expect(seen[0].inputSizes).toEqual({ bars: [128 << 10], rom: undefined, source: "lspci [size=] lines" });
  });
  writeFileSync(join(dir, "sized.lspci"), ["01:00.0 Ethernet controller: X", "\tRegion 0: Memory at e0800000 (32-bit, non-prefetchable) [size=128K]", ...formatLspciDump(config(0x8086, 0x10c9, 0x020000), "x").split("\n").slice(1)].join("\n"));
});

describe("11 rule files from a pipe", () => {
  it("11 --rules <(...) and compile - read what the user's command wrote", () => {
    const r = shell(`${CFGVIRT} explain --rules <(printf 'device "piped" match 8086:10c9 { hide msi }\\n') --device <(printf '${formatLspciDump(config(0x8086, 0x10c9, 0x020000), "01:00.0 X").replace(/\n/g, "\\n")}') | head -1; echo 'bogus' | ${CFGVIRT} compile -`);
    expect(r.stdout).toMatch(/^device .*: policy "piped"/m);
    expect(r.stderr).toMatch(/^-:1:1: error\[E001\]: unknown item `bogus`/m);
  }, 60_000);
});
