// BARs as a guest first finds them (issue 10 point 4) and where their sizes
// come from (issue 11): reset values, never the host's physical addresses,
// before the guest programs anything and after every reset; sizes from the
// command line, the device file, the input, a Resizable BAR capability, else a
// capped guess with a warning.
import { describe, expect, it } from "vitest";
import { readDeviceSource, openDevice, openSource } from "../../src/open-device.js";
import { Machine } from "../../src/platform/machine.js";
import { GUESS_CAP, guessBarSize } from "../../src/runtime/bar-sizes.js";
import { dumpHeaderType, sharedDumps } from "../helpers/devices.js";
import { cf8Read, cf8Write, imageFile, programBuses } from "../platform/helpers.js";

// Host addresses everywhere a guest could see one: BAR0 mem32, BAR1 I/O, BAR2/3
// mem64 prefetchable above 4 GiB, ROM enabled, Interrupt Line routed.
const HOST = `
image "bars" {
  bar 0 size 16K
  bar 1 size 32
  bar 2 size 64K
  rom size 64K
  header type0 {
    vendor_id = 0x8086; device_id = 0x10d3; command = 0x0407
    bar0 = 0xfebc0000; bar1 = 0x0000e001; bar2 = 0xfe00000c; bar3 = 0x00000038
    expansion_rom = 0xfeb00001
    interrupt_line = 0x0b; interrupt_pin = 0x01
  }
  capability pm @ 0x40 { pmc = 0x0003 }
  capability pcie @ 0x50 { flags.version = 2; device_capabilities = 0x10000000 }
}
`;
const file = imageFile("bars", HOST);
const PCIE = 0x50;
const PMCSR = 0x44;

/** What a guest reads at the BARs, ROM BAR and Interrupt Line. */
const resetView = (read: (o: number, s: number) => number) => ({
  bar0: read(0x10, 4), bar1: read(0x14, 4), bar2: read(0x18, 4), bar3: read(0x1c, 4), rom: read(0x30, 4), line: read(0x3c, 1),
});
const RESET = { bar0: 0x0, bar1: 0x1, bar2: 0xc, bar3: 0x0, rom: 0x0, line: 0 };

/** Program everything as firmware would. */
function program(write: (o: number, s: number, v: number) => void): void {
  write(0x10, 4, 0xc0000000);
  write(0x14, 4, 0xc001);
  write(0x18, 4, 0xd000000c);
  write(0x1c, 4, 0x1);
  write(0x30, 4, 0xc1000001);
  write(0x3c, 1, 0x0a);
}

describe("BAR reset values (issue 10.4)", () => {
  it("before the guest programs anything, BARs, ROM BAR and Interrupt Line read reset values, never host addresses", () => {
    const { device } = openDevice(file);
    expect(resetView((o, s) => device.read(o, s))).toEqual(RESET);
  });

  it("sizing still works from the reset value: all-ones reads back the size mask with the type bits", () => {
    const { device } = openDevice(file);
    device.write(0x10, 4, 0xffffffff);
    expect(device.read(0x10, 4)).toBe((~(16 * 1024 - 1) & 0xfffffff0) >>> 0);
    device.write(0x14, 4, 0xffffffff);
    expect(device.read(0x14, 4)).toBe(0xffffffe1);
    device.write(0x30, 4, 0xfffffffe);
    expect(device.read(0x30, 4)).toBe((~(64 * 1024 - 1) & 0xfffff800) >>> 0);
  });

  it("after FLR the guest reads reset values again, not what it programmed nor the host's", () => {
    const { device } = openDevice(file);
    program((o, s, v) => device.write(o, s, v));
    expect(device.read(0x10, 4)).toBe(0xc0000000);
    device.write(PCIE + 8, 2, 0x8000); // Initiate FLR
    expect(resetView((o, s) => device.read(o, s))).toEqual(RESET);
  });

  it("after D3hot -> D0 (No_Soft_Reset 0) and after a Secondary Bus Reset on the port, the same", () => {
    const m = new Machine();
    m.plug(1, file, { name: "fn" });
    programBuses(m, 1, 1);
    const read = (o: number, s: number) => cf8Read(m, 1, 0, 0, o, s);
    const write = (o: number, s: number, v: number) => cf8Write(m, 1, 0, 0, o, s, v);
    expect(resetView(read)).toEqual(RESET);
    program(write);
    write(PMCSR, 2, 3);
    write(PMCSR, 2, 0);
    expect(resetView(read)).toEqual(RESET);
    program(write);
    const bridgeControl = cf8Read(m, 0, 1, 0, 0x3e, 2);
    cf8Write(m, 0, 1, 0, 0x3e, 2, bridgeControl | 0x40);
    cf8Write(m, 0, 1, 0, 0x3e, 2, bridgeControl);
    expect(resetView(read)).toEqual(RESET);
  });

  it("every real Type 0 dump: BARs read their type bits only, the ROM BAR and Interrupt Line 0", () => {
    const dumps = sharedDumps().filter((p) => dumpHeaderType(p) === 0);
    for (const path of dumps) {
      const { device, tables, host } = openDevice(path);
      for (const bar of tables.bars) {
        for (const [k, i] of bar.dwords.entries()) {
          const d = bar.index === 6 ? i : 4 + i; // BAR n is dword 4 + n; the ROM's entry is its dword
          const want = bar.index === 6 || k > 0 ? 0 : host.read32(d) & (bar.kind === "io" ? 0x1 : bar.kind === "none" ? 0 : 0xf);
          expect(device.read(d * 4, 4), `${path} dword 0x${(d * 4).toString(16)}`).toBe(want >>> 0);
        }
      }
      expect(device.read(0x3c, 1), path).toBe(0);
    }
  });
});

describe("BAR sizes and where they come from (issue 11)", () => {
  const source = readDeviceSource(file);
  const bare = { ...source, barSizes: [], romSize: undefined };

  it("the example image's sizes are the input's; --bar wins over them", () => {
    const { tables } = openSource(source, { barSizes: [undefined, 64] });
    const by = (i: number) => tables.bars.find((b) => b.index === i)!;
    expect([by(0).size, by(0).source]).toEqual([16 * 1024, "input"]);
    expect([by(1).size, by(1).source]).toEqual([64, "option"]);
    expect([by(6).size, by(6).source]).toEqual([64 * 1024, "input"]);
  });

  it("inputSizes (sysfs resource, lspci [size=]) are honoured after the option and before a guess", () => {
    const { tables } = openSource(bare, { inputSizes: { bars: [4096, undefined, 2 ** 20], rom: 2048, source: "sysfs resource" } });
    const by = (i: number) => tables.bars.find((b) => b.index === i)!;
    expect([by(0).size, by(0).source]).toEqual([4096, "input"]);
    expect([by(2).size, by(2).source, by(2).kind]).toEqual([2 ** 20, "input", "mem64"]);
    expect([by(6).size, by(6).source]).toEqual([2048, "input"]);
    expect(by(1).source).toBe("guess");
  });

  it("a guess is capped (I/O 256 bytes, memory 256 MiB, ROM 16 MiB) and warned about, naming the BAR and the guess", () => {
    const { tables } = openSource(bare);
    const by = (i: number) => tables.bars.find((b) => b.index === i)!;
    // BAR0 0xfebc0000 aligns to 256 KiB; BAR2 0x1_fe000000 (64-bit) to 32 MiB; I/O 0xe000 to 8 KiB; ROM 0xfeb00000 to 1 MiB.
    expect([by(0).size, by(0).source]).toEqual([256 * 1024, "guess"]);
    expect(by(1).size).toBe(256);
    expect(by(2).size).toBe(32 * 2 ** 20);
    expect(by(6).size).toBe(2 ** 20);
    expect(tables.notes).toContain("BAR 1: size guessed as 256 bytes from the host address's alignment (capped at 256 bytes); give `--bar 1=SIZE` or `bar 1 size S` in a device file");
    expect(tables.notes.some((n) => n.startsWith("ROM: size guessed as 1 MiB"))).toBe(true);
  });

  it("guessBarSize never exceeds the caps nor goes below the minimum, for any address", () => {
    for (let bit = 0; bit < 32; bit++) {
      const a = 2 ** bit >>> 0;
      expect(guessBarSize("io", a & 0xfffffffc, 0)).toBeLessThanOrEqual(GUESS_CAP.io);
      expect(guessBarSize("mem", a & 0xfffffff0, 0)).toBeLessThanOrEqual(GUESS_CAP.mem);
      expect(guessBarSize("mem", 0, a)).toBeLessThanOrEqual(GUESS_CAP.mem);
      expect(guessBarSize("rom", a & 0xfffff800, 0)).toBeLessThanOrEqual(GUESS_CAP.rom);
    }
    expect(guessBarSize("mem", 0x80000000, 0)).toBe(256 * 2 ** 20); // 2 GiB would abort QEMU 7.2's proxy
    expect(guessBarSize("io", 0x4, 0)).toBe(4);
    expect(guessBarSize("mem", 0, 0)).toBe(0);
  });

  it("a Resizable BAR capability's current size wins over a guess (AMD Navi 23: BAR0 8 GiB, as lspci decodes its ReBAR Control)", () => {
    const navi = sharedDumps().find((p) => p.includes("navi23"));
    if (!navi) return;
    const { tables } = openDevice(navi);
    const bar0 = tables.bars.find((b) => b.index === 0)!;
    expect(bar0.source).toBe("resizable-bar");
    expect(bar0.size).toBe(8 * 2 ** 30);
  });
});

describe("where each BAR size came from, in the tools' output", () => {
  it("view --format json and explain name the source; view warns on stderr about a guess", async () => {
    const { cli } = await import("../helpers/cli.js");
    const json = await cli("view", "--device", file, "--format", "json", "--bar", "1=64");
    const bars = JSON.parse(json.out).bars as { index: number; size: number; sizeFrom: string }[];
    expect(bars.find((b) => b.index === 0)).toMatchObject({ size: 16384, sizeFrom: "input" });
    expect(bars.find((b) => b.index === 1)).toMatchObject({ size: 64, sizeFrom: "option" });
    const explained = await cli("explain", "--device", file);
    expect(explained.out).toMatch(/BAR 0 mem32 +16384 bytes {2}from input/);
    const dump = sharedDumps().find((p) => p.includes("82576"));
    if (!dump) return;
    const guessed = await cli("view", "--device", dump);
    expect(guessed.err).toMatch(/warning\[W005\]: BAR 0's size is a guess: 8M/);
  });
});
