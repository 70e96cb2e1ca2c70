// Parsing the guest's serial console and the QEMU command line, without QEMU.
import { describe, expect, it } from "vitest";
import { bdfOf, firmwareWarnings, parseConsole } from "../../src/serve/guest-report.js";
import { GUEST_INIT } from "../../src/serve/guest.js";
import { qemuArgs } from "../../src/serve/qemu.js";

describe("the guest's console", () => {
  it("parses each function's config bytes and resources; noise and CRs around the markers are ignored", () => {
    const config = Array.from({ length: 256 }, (_, i) => (i & 0xff).toString(16).padStart(2, "0")).join(" ");
    const text = [
      "SeaBIOS (version 1.16)",
      "cfgvirt:init",
      "[    1.0] random kernel line",
      "cfgvirt:begin 0000:00:08.0\r",
      `cfgvirt:config  ${config}\r`,
      "cfgvirt:resource 0x00000000febc0000 0x00000000febdffff 0x0000000000040200",
      "cfgvirt:resource 0x0000000000000000 0x0000000000000000 0x0000000000000000",
      "cfgvirt:end",
      "cfgvirt:log pci 0000:00:08.0: BAR 0: assigned",
      "cfgvirt:done",
    ].join("\n");
    const c = parseConsole(text);
    expect(c.complete).toBe(true);
    const fn = c.functions.get("0000:00:08.0")!;
    expect(fn.config.length).toBe(256);
    expect(fn.config[0x42]).toBe(0x42);
    expect(fn.resources[0]).toEqual({ start: 0xfebc0000n, end: 0xfebdffffn, flags: 0x40200n });
    expect(c.log).toEqual(["pci 0000:00:08.0: BAR 0: assigned"]);
  });

  it("a console cut short (the guest died) is incomplete and keeps only finished blocks", () => {
    const c = parseConsole("cfgvirt:begin 0000:00:08.0\ncfgvirt:config 00 01\n");
    expect(c.complete).toBe(false);
    expect(c.functions.size).toBe(0);
  });
});

describe("the QEMU command line", () => {
  it("shares guest RAM through a memfd and puts device i on fd 3+i at slot 0x08+i", () => {
    const args = qemuArgs(2, { kernel: "/k", initrd: "/i" }).join(" ");
    expect(args).toContain("-machine q35,memory-backend=mem");
    expect(args).toContain("memory-backend-memfd,id=mem,size=256M,share=on");
    expect(args).toContain("x-pci-proxy-dev,id=cfgvirt0,fd=3,bus=pcie.0,addr=0x8");
    expect(args).toContain("x-pci-proxy-dev,id=cfgvirt1,fd=4,bus=pcie.0,addr=0x9");
    expect(bdfOf(1)).toBe("0000:00:09.0");
  });

  it("the guest's init prints every function's config and resource, then powers off unless the host stopped it", () => {
    expect(GUEST_INIT).toMatch(/^#!\/bin\/busybox sh/);
    for (const marker of ["cfgvirt:begin", "cfgvirt:config", "cfgvirt:resource", "cfgvirt:end", "cfgvirt:done", "poweroff -f"]) expect(GUEST_INIT).toContain(marker);
  });
});

describe("the firmware's debug log", () => {
  it("is captured from SeaBIOS's debug port when asked, and its warnings are the lines that say WARNING", () => {
    const args = qemuArgs(1, { kernel: "k", initrd: "i" }, "/tmp/x/seabios.log");
    expect(args.join(" ")).toContain("-chardev file,id=firmware,path=/tmp/x/seabios.log -device isa-debugcon,iobase=0x402,chardev=firmware");
    expect(qemuArgs(1, { kernel: "k", initrd: "i" }).join(" ")).not.toContain("isa-debugcon");
    const log = ["SeaBIOS (version 1.16.2-debian-1.16.2-1)", "UHCI init on dev 00:08.0 (io=c000)", "WARNING - Timeout at uhci_waittick:127!\r", "All threads complete.", ""].join("\n");
    expect(firmwareWarnings(log)).toEqual(["WARNING - Timeout at uhci_waittick:127!"]);
    expect(firmwareWarnings("")).toEqual([]);
  });
});
