// Issue 2 acceptance on the real dumps: the guest view decodes with lspci, shows
// only capabilities the host has, keeps MSI/MSI-X/PM, and drops what the rules hide.
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { describe, expect, it } from "vitest";
import { CfgvirtError } from "../../src/diag/diagnostic.js";
import { formatLspciDump } from "../../src/host/dump.js";
import { guestView, openDevice } from "../../src/open-device.js";
import { dumpHeaderType, haveSharedDevices, sharedDumps } from "../helpers/devices.js";
import { decode, haveLspci } from "../helpers/lspci.js";

const dumps = sharedDumps();
const type0 = dumps.filter((p) => dumpHeaderType(p) === 0);
const type1 = dumps.filter((p) => dumpHeaderType(p) === 1);
const KEPT = [/^Power Management/, /^MSI:/, /^MSI-X:/];

describe.skipIf(!haveSharedDevices || !haveLspci)("guest view of real devices", () => {
  it("has Type 0 and Type 1 dumps to check", () => {
    expect(type0.length).toBeGreaterThanOrEqual(10);
    expect(type1.length).toBeGreaterThanOrEqual(1);
  });

  describe.each(type0.map((p) => [basename(p), p]))("%s", (_name, path) => {
    const opened = openDevice(path);
    const guest = decode(formatLspciDump(guestView(opened.device, opened.host.size), opened.source.title));
    const host = decode(readFileSync(path, "utf8"));

    it("decodes with lspci -F without errors", () => {
      expect(guest.stderr).toBe("");
      expect(guest.text).toMatch(/^(?:[0-9a-f]{4}:)?[0-9a-f]{2}:[0-9a-f]{2}\.\d /);
      expect(guest.text).not.toMatch(/<chain broken>|<chain looped>/);
    });

    // With the host's first extended capability hidden, 0x100 keeps a header with
    // ID 0 that links on: lspci shows it as `[100 v0] Null`, which exposes nothing.
    const shown = guest.capabilities.filter((c) => !(c.offset === 0x100 && c.name === "Null"));

    it("shows only capabilities the host has, at the host's offsets", () => {
      for (const cap of shown) {
        const onHost = host.capabilities.find((h) => h.offset === cap.offset);
        expect(onHost, `guest shows [${cap.offset.toString(16)}] ${cap.name}`).toBeDefined();
        expect(cap.name.split(/[ :]/)[0]).toBe(onHost!.name.split(/[ :]/)[0]);
      }
    });

    it("keeps Power Management, MSI and MSI-X when the host has them", () => {
      for (const re of KEPT) {
        const h = host.capabilities.find((c) => re.test(c.name));
        if (h) expect(guest.capabilities.some((c) => re.test(c.name) && c.offset === h.offset), String(re)).toBe(true);
      }
    });

    it("drops every capability the rules hide", () => {
      const hidden = [...opened.tables.placed.filter((p) => !p.visible).map((p) => p.offset), ...opened.tables.unknown.map((u) => u.found.offset)];
      for (const offset of hidden) expect(shown.map((c) => c.offset)).not.toContain(offset);
      expect(shown.length).toBe(opened.tables.placed.filter((p) => p.visible && p.template.kind !== "header").length);
    });
  });

  it.each(type1.map((p) => [basename(p), p]))("refuses the bridge %s with a clear message", (_name, path) => {
    expect(() => openDevice(path)).toThrow(CfgvirtError);
    try {
      openDevice(path);
    } catch (e) {
      expect((e as CfgvirtError).code).toBe("A001");
      expect((e as CfgvirtError).message).toMatch(/PCI-to-PCI bridge \(header type 1\); only Type 0 functions are passed through/);
    }
  });
});
