// Warnings: warning[W...] on stderr, counted at the end; --deny-warnings makes
// them errors (exit 2, nothing on stdout).
import { describe, expect, it } from "vitest";
import { formatLspciDump } from "../../src/host/dump.js";
import { lspciCapabilityName } from "../../src/host/capability-names.js";
import { openSource, readDeviceSource } from "../../src/open-device.js";
import { cli } from "../helpers/cli.js";
import { haveSharedDevices, sharedDevicesDir } from "../helpers/devices.js";
import { decode, haveLspci } from "../helpers/lspci.js";
import { tmpFile } from "./tmp.js";

// The example NIC (examples/nic.rules) is 8086:10d3, class 0x020000.
describe("device file warnings", () => {
  it("W001: a device file given with --rules that matches no device", async () => {
    const rules = tmpFile("other.rules", `device "someone else" match 1234:5678 {\n  hide msi\n}\n`);
    const r = await cli("view", "--rules", rules);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/other\.rules:1:1: warning\[W001\]: device "someone else" matches no device here: this device is 8086:10d3 class 0x020000/);
    expect(r.err.trimEnd().split("\n").pop()).toBe("warning: 1 warning emitted"); // counted at the end
    expect(r.out).toMatch(/^00: 86 80 d3 10/m);
  });

  it("--deny-warnings turns warnings into errors: exit 2 and no output", async () => {
    const rules = tmpFile("other2.rules", `device "someone else" match 1234:5678 {\n  hide msi\n}\n`);
    const r = await cli("view", "--rules", rules, "--deny-warnings");
    expect(r.code).toBe(2);
    expect(r.out).toBe("");
    expect(r.err).toContain("error[W001]");
    expect(r.err).toContain("1 warning denied");
  });

  it("W002: two device files for the same ID", async () => {
    const rules = tmpFile("twice.rules", `device "a" match 8086:10d3 {\n  hide msi\n}\ndevice "b" match 8086:10d3 {\n  bar 0 size 128K\n}\n`);
    const r = await cli("compile", rules);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/twice\.rules:4:\d+: warning\[W002\]: device "b" and device "a" both match `8086:10d3`; only "b" \(loaded last\) applies/);
  });

  it("W003: a more specific device file drops the statements of a less specific one that also matches", async () => {
    const rules = tmpFile("specific.rules", `device "my nic" match 8086:10d3 {\n  bar 0 size 128K\n}\n`);
    const r = await cli("view", "--rules", rules);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/rules\/devices\/nic\.rules:\d+:1: warning\[W003\]: device "ethernet controller" also matches this device, but the more specific "my nic" applies: its statements \(hide\) are dropped/);
  });

  it("W006: override of a hooked field to pass", async () => {
    const rules = tmpFile("unhook.rules", `device "my nic" match 8086:10d3 {\n  hide sriov\n  override msi.control.enable pass\n}\n`);
    const r = await cli("compile", rules);
    expect(r.err).toMatch(/unhook\.rules:3:3: warning\[W006\]: override makes msi\.control\.enable `pass`: its hook `msi_enable` no longer sees the guest's writes/);
    expect((await cli("compile", rules, "--deny-warnings")).code).toBe(2);
  });

  it("the standard library alone raises no warning", async () => {
    const r = await cli("compile");
    expect(r.err).toBe("");
  });
});

describe("capability and BAR warnings", () => {
  it.skipIf(!haveSharedDevices)("W005: every guessed BAR size, and none for a size given with --bar", async () => {
    const dump = `${sharedDevicesDir}/intel-82576-nic.lspci`;
    const r = await cli("view", "--device", dump);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/warning\[W005\]: BAR 0's size is a guess: 8M/);
    expect(r.err).toMatch(/warning\[W005\]: the expansion ROM's size is a guess/);
    expect(r.err).toMatch(/help: .*--bar 0=SIZE/);
    const given = await cli("view", "--device", dump, "--bar", "0=128K", "--bar", "1=4M", "--bar", "2=32", "--bar", "3=16K", "--bar", "rom=4M");
    expect(given.err).not.toContain("W005");
  });

  // Unknown capabilities are made by rewriting a known capability's ID in a real
  // configuration image; the name we give must be the one the installed lspci prints.
  const standardIds = [0x02, 0x04, 0x06, 0x07, 0x08, 0x0b, 0x0c, 0x0e, 0x0f, 0x12, 0x14, 0x15];
  it.skipIf(!haveLspci)("W004: a capability no rule knows is hidden, and named as lspci names it (standard)", async () => {
    const source = readDeviceSource("examples/nvme.rules");
    const pm = openSource(source).tables.placed.find((p) => p.template.name === "pm")!;
    for (const id of standardIds) {
      const bytes = Uint8Array.from(source.bytes);
      bytes[pm.offset] = id;
      const dump = formatLspciDump(bytes, "00:00.0 Non-Volatile memory controller: test");
      const lspci = decode(dump).capabilities.find((c) => c.offset === pm.offset)!.name;
      const ours = lspciCapabilityName("capability", id);
      // An older lspci than the name table prints its fallback for IDs it does not know.
      expect(lspci.startsWith(ours) || lspci.startsWith(`Capability ID 0x${id.toString(16).padStart(2, "0")}`), `${id}: ${lspci} vs ${ours}`).toBe(true);
      const r = await cli("explain", "--device", tmpFile(`unknown-${id}.lspci`, dump));
      expect(r.err).toContain(`warning[W004]: capability 0x${id.toString(16).padStart(2, "0")} at 0x040 (lspci: ${ours}) has no rules: hidden from the guest`);
      expect(r.out).toContain(`(lspci: ${ours}): HIDDEN: no rule describes it`);
    }
  });

  it.skipIf(!haveLspci || !haveSharedDevices)("W004 for extended capabilities, named as lspci names them", async () => {
    const source = readDeviceSource(`${sharedDevicesDir}/intel-82576-nic.lspci`);
    const aer = openSource(source).tables.placed.find((p) => p.template.name === "aer")!;
    for (const id of [0x05, 0x06, 0x07, 0x08, 0x0a, 0x0c, 0x11, 0x14, 0x16, 0x17, 0x1a, 0x1c, 0x1d, 0x1f, 0x20, 0x21, 0x22, 0x24, 0x28, 0x29, 0x2e, 0x30]) {
      const bytes = Uint8Array.from(source.bytes);
      bytes[aer.offset] = id;
      bytes[aer.offset + 1] = 0;
      const dump = formatLspciDump(bytes, "00:00.0 Ethernet controller: test");
      const lspci = decode(dump).capabilities.find((c) => c.offset === aer.offset)!.name;
      const ours = lspciCapabilityName("extended", id);
      expect(lspci.startsWith(ours) || lspci.startsWith(`Extended Capability ID 0x${id.toString(16)}`), `${id}: ${lspci} vs ${ours}`).toBe(true);
    }
    const bytes = Uint8Array.from(source.bytes);
    bytes[aer.offset] = 0x17;
    const r = await cli("view", "--device", tmpFile("tph.lspci", formatLspciDump(bytes, "00:00.0 Ethernet controller: test")), "--json");
    expect(r.err).toContain("warning[W004]: extended capability 0x0017 at 0x100 (lspci: Transaction Processing Hints) has no rules: hidden from the guest");
    expect(JSON.parse(r.out).unknown).toContainEqual({ kind: "extended", id: 0x17, offset: 0x100, lspciName: "Transaction Processing Hints" });
  });
});
