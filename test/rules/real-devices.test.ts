// The rule library against every real dump in ../shared/devices: each host
// capability is described by a rule (or hidden by an explicit default), and
// each Type 0 function's guest view decodes with lspci and shows exactly what
// the rules allow.
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { describe, expect, it } from "vitest";
import { compileRules } from "../../src/compile/pipeline.js";
import { formatLspciDump } from "../../src/host/dump.js";
import { SimulatedDevice } from "../../src/host/simulated.js";
import { guestView, openDevice } from "../../src/open-device.js";
import { attach } from "../../src/runtime/attach.js";
import { dumpHeaderType, haveSharedDevices, sharedDumps } from "../helpers/devices.js";
import { decode, haveLspci } from "../helpers/lspci.js";

const dumps = sharedDumps();
const type0 = dumps.filter((p) => dumpHeaderType(p) === 0);
const hex = (n: number) => `0x${n.toString(16)}`;

/** `Express (v2) Endpoint` -> `Endpoint`; the port type lspci decodes. */
function expressType(text: string): string | undefined {
  return /Capabilities: \[[0-9a-f]+\] Express \(v\d\) ([A-Za-z -]+?)(?: \(Slot[+-]\))?, MSI/.exec(text)?.[1];
}

describe.skipIf(!haveSharedDevices)("every real dump attaches with no uncovered capability", () => {
  it("finds the dumps", () => {
    expect(dumps.length).toBeGreaterThan(0);
  });

  it.each(dumps.map((p) => [basename(p), p]))("%s", (_name, path) => {
    const bridge = dumpHeaderType(path) !== 0;
    const { tables } = openDevice(path, { allowBridge: bridge });
    const unknown = tables.unknown.map((u) => `${u.found.kind} ID ${hex(u.found.id)} at ${hex(u.found.offset)}`);
    expect(unknown, "capabilities on the host with no rule: add a layout (or a hidden one) under rules/").toEqual([]);
    // Chains are walked and placed without overlaps or broken links.
    expect(tables.notes.filter((n) => /overlap|outside|loops/.test(n))).toEqual([]);
  });

  it("reports a capability ID no rule describes (and the guest does not see it)", () => {
    // Rewrite the first extended capability of a real dump to an ID no
    // specification assigns: attach must list it as unknown.
    const path = type0.find((p) => openDevice(p).tables.placed.some((l) => l.template.kind === "extended" && l.offset === 0x100));
    expect(path).toBeDefined();
    const host = new SimulatedDevice(openDevice(path!).source.bytes);
    host.words[0x100 >> 2] = ((host.words[0x100 >> 2] & 0xfff00000) | 0x00010fee) >>> 0;
    const tables = attach(compileRules(), host);
    expect(tables.unknown.map((u) => [u.found.kind, u.found.id, u.found.offset])).toEqual([["extended", 0xfee, 0x100]]);
  });
});

describe.skipIf(!haveSharedDevices || !haveLspci)("the guest view of every Type 0 dump", () => {
  it.each(type0.map((p) => [basename(p), p]))("%s", (_name, path) => {
    const opened = openDevice(path);
    const { tables } = opened;
    const host = decode(readFileSync(path, "utf8"));
    const guest = decode(formatLspciDump(guestView(opened.device, opened.host.size), opened.source.title));

    // Decodes cleanly.
    expect(guest.stderr).toBe("");
    expect(guest.text).toContain(opened.source.title.split(" ")[0]);

    // The PCI Express capability, with the host's device/port type.
    const hostType = expressType(host.text);
    if (hostType !== undefined) expect(expressType(guest.text)).toBe(hostType);
    else expect(guest.text).not.toMatch(/\] Express/);

    // No SR-IOV and no host serial number.
    expect(guest.text).not.toMatch(/SR-IOV|Single Root I\/O Virtualization/);
    expect(guest.text).not.toMatch(/Device Serial Number/);
    for (const serial of host.text.matchAll(/Device Serial Number ([0-9a-f-]+)/g)) expect(guest.text).not.toContain(serial[1]);

    // Every extended capability shown is one the rules allow for this device,
    // and every one the rules allow is shown.
    const allowed = tables.placed.filter(
      (p) => p.template.kind === "extended" && (p.template.hiddenReason === undefined || tables.policy.allow.has(p.template.name)) && !tables.policy.hide.has(p.template.name),
    );
    const shownExt = guest.capabilities.filter((c) => c.extended && !/Null/.test(c.name)).map((c) => c.offset).sort((a, b) => a - b);
    expect(shownExt).toEqual(allowed.map((p) => p.offset).sort((a, b) => a - b));
    // The same for standard capabilities.
    const allowedStd = tables.placed.filter(
      (p) => p.template.kind === "capability" && (p.template.hiddenReason === undefined || tables.policy.allow.has(p.template.name)) && !tables.policy.hide.has(p.template.name),
    );
    const shownStd = guest.capabilities.filter((c) => !c.extended).map((c) => c.offset).sort((a, b) => a - b);
    expect(shownStd).toEqual(allowedStd.map((p) => p.offset).sort((a, b) => a - b));
  });
});

/** Class code (base, sub, prog-if) from a dump's text, without the code under test. */
function dumpClass(path: string): number {
  const row = readFileSync(path, "utf8").split("\n").find((l) => l.startsWith("00: "))!.slice(4).split(" ");
  return parseInt(row[11] + row[10] + row[9], 16);
}

const DEVICE_FILE_BY_CLASS: [number, number, string][] = [
  [0x020000, 0xffff00, "ethernet controller"],
  [0x010802, 0xffffff, "nvme controller"],
  [0x010700, 0xffff00, "sas controller"],
  [0x0c0300, 0xffffff, "uhci controller"],
  [0x0c0320, 0xffffff, "ehci controller"],
  [0x0c0330, 0xffffff, "xhci controller"],
  [0x030000, 0xff0000, "display controller"],
];

describe.skipIf(!haveSharedDevices)("the shipped device files", () => {
  it.each(type0.map((p) => [basename(p), p]))("%s is governed by its class's device file", (_name, path) => {
    const cls = dumpClass(path);
    const expected = DEVICE_FILE_BY_CLASS.find(([v, m]) => (cls & m) === v)?.[2];
    expect(expected, `no shipped device file for class ${hex(cls)}`).toBeDefined();
    const { tables } = openDevice(path);
    expect(tables.policy.name).toBe(expected);
    expect(tables.policy.source.path).toMatch(/rules\/devices\//);
  });

  it.each(type0.filter((p) => (dumpClass(p) & 0xffff00) === 0x0c0300).map((p) => [basename(p), p]))(
    "%s: the USB controller's SBRN (60h) reads as on the host, and writes to it are dropped",
    (_name, path) => {
      const { device, host } = openDevice(path);
      const sbrn = host.read32(0x60 >> 2) & 0xff;
      expect(sbrn).not.toBe(0);
      expect(device.read(0x60, 1)).toBe(sbrn);
      device.write(0x60, 1, 0);
      expect(host.read32(0x60 >> 2) & 0xff).toBe(sbrn);
    },
  );

  it("the GPU device file shows vendor capabilities and keeps Resizable BAR and SR-IOV hidden", () => {
    const gpus = type0.filter((p) => dumpClass(p) >>> 16 === 0x03);
    expect(gpus.length).toBeGreaterThan(0);
    for (const path of gpus) {
      const { tables } = openDevice(path);
      for (const p of tables.placed) {
        if (p.template.name === "vendor_specific" || p.template.name === "vsec") expect(p.visible, `${p.template.name} in ${basename(path)}`).toBe(true);
        if (p.template.name === "rebar" || p.template.name === "sriov") expect(p.visible).toBe(false);
      }
    }
  });
});
