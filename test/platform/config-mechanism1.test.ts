// Configuration Mechanism #1: CONFIG_ADDRESS latching, CONFIG_DATA byte lanes,
// the enable bit, absent functions, and the 256-byte limit.
import { describe, expect, it } from "vitest";
import { exampleDevices } from "../../src/open-device.js";
import { configAddress } from "../../src/platform/config-mechanism1.js";
import { Machine } from "../../src/platform/machine.js";
import { cf8Read, cf8Write, ecamRead, programBuses } from "./helpers.js";

function machineWith(path: string) {
  const m = new Machine();
  const fn = m.plug(1, path);
  programBuses(m, 1, 2);
  return { m, fn };
}

describe("CONFIG_ADDRESS (0xCF8)", { timeout: 60_000 }, () => {
  it("a dword write latches it and a dword read returns it, reserved bits 30:24 and 1:0 as 0", () => {
    const m = new Machine();
    m.ioWrite(0xcf8, 4, 0xff_ab_cd_ef);
    expect(m.ioRead(0xcf8, 4)).toBe(0x80_ab_cd_ec);
    m.ioWrite(0xcf8, 4, configAddress(3, 4, 5, 0x44));
    expect(m.ioRead(0xcf8, 4)).toBe((0x80000000 | (3 << 16) | (4 << 11) | (5 << 8) | 0x44) >>> 0);
  });

  it("byte and word accesses to 0xCF8..0xCFB do not touch it and read all-ones", () => {
    const m = new Machine();
    m.ioWrite(0xcf8, 4, configAddress(0, 0, 0, 0));
    m.ioWrite(0xcf8, 2, 0x1234);
    m.ioWrite(0xcf9, 1, 0x06); // the PC reset control register lives here; not modelled
    m.ioWrite(0xcfa, 2, 0x00ff);
    expect(m.ioRead(0xcf8, 4)).toBe(configAddress(0, 0, 0, 0));
    expect(m.ioRead(0xcf8, 2)).toBe(0xffff);
    expect(m.ioRead(0xcfb, 1)).toBe(0xff);
  });
});

describe("CONFIG_DATA (0xCFC..0xCFF)", { timeout: 60_000 }, () => {
  for (const path of exampleDevices()) {
    const name = path.replace(/^.*\//, "");
    it(`${name}: every dword, word and byte read equals VirtualDevice.read at that offset`, () => {
      const { m, fn } = machineWith(path);
      for (let off = 0; off < 256; off++) {
        for (const size of [1, 2, 4]) {
          if ((off & 3) + size > 4) continue;
          expect(cf8Read(m, 2, 0, 0, off, size), `0x${off.toString(16)}/${size}`).toBe(fn.device.read(off, size));
        }
      }
    });
  }

  it("a byte write at 0xCFD reaches offset register + 1 and nothing else", () => {
    const { m, fn } = machineWith(exampleDevices()[0]);
    const before = fn.device.read(0x0c, 4);
    cf8Write(m, 2, 0, 0, 0x0d, 1, 0x40); // latency timer (virtual)
    expect(fn.device.read(0x0c, 4)).toBe(((before & ~0xff00) | 0x4000) >>> 0);
    cf8Write(m, 2, 0, 0, 0x0c, 2, 0x2010); // word at 0xCFC: cache line size + latency timer
    expect(fn.device.read(0x0c, 2)).toBe(0x2010);
  });

  it("a word access at 0xCFF: the byte past 0xCFF is not configuration data", () => {
    const { m, fn } = machineWith(exampleDevices()[0]);
    m.ioWrite(0xcf8, 4, configAddress(2, 0, 0, 0x00));
    expect(m.ioRead(0xcff, 2)).toBe(0xff00 | fn.device.read(3, 1));
    expect(m.ioRead(0xcfe, 4)).toBe((0xffff0000 | fn.device.read(2, 2)) >>> 0);
  });

  it("with the enable bit clear, reads are all-ones and writes are dropped", () => {
    const { m, fn } = machineWith(exampleDevices()[0]);
    m.ioWrite(0xcf8, 4, configAddress(2, 0, 0, 0x0c, false));
    expect(m.ioRead(0xcfc, 4)).toBe(0xffffffff);
    expect(m.ioRead(0xcfe, 2)).toBe(0xffff);
    expect(m.ioRead(0xcfd, 1)).toBe(0xff);
    const before = fn.device.read(0x0c, 4);
    const writes = fn.host.writes;
    m.ioWrite(0xcfc, 4, 0x12345678);
    m.ioWrite(0xcf8, 4, configAddress(2, 0, 0, 0x04, false));
    m.ioWrite(0xcfc, 2, 0x0004); // Bus Master: would reach the host with enable set
    expect(fn.device.read(0x0c, 4)).toBe(before);
    expect(fn.host.writes).toBe(writes);
  });

  it("an absent function reads all-ones for every size and takes no write", () => {
    const { m } = machineWith(exampleDevices()[0]);
    for (const [bus, dev, f] of [[0, 9, 0], [0, 0, 1], [2, 1, 0], [2, 0, 3], [7, 0, 0]]) {
      expect(cf8Read(m, bus, dev, f, 0, 4)).toBe(0xffffffff);
      expect(cf8Read(m, bus, dev, f, 2, 2)).toBe(0xffff);
      expect(cf8Read(m, bus, dev, f, 1, 1)).toBe(0xff);
      cf8Write(m, bus, dev, f, 0x04, 2, 0x0007);
    }
    expect(m.guestInterrupts.messages.toArray()).toEqual([]);
  });

  it("only the first 256 bytes are reachable: register bits stop at 7:2", () => {
    const { m, fn } = machineWith(exampleDevices()[0]);
    // Offset 0x100 cannot be encoded: it wraps to 0x00, as on real hardware.
    expect(cf8Read(m, 2, 0, 0, 0x100, 4)).toBe(fn.device.read(0x00, 4));
    // The root port's extended space (AER at 0x100) is reachable through ECAM only.
    expect(ecamRead(m, 0, 1, 0, 0x100, 2)).toBe(0x0001);
    expect(cf8Read(m, 0, 1, 0, 0x100, 2)).toBe(cf8Read(m, 0, 1, 0, 0, 2));
  });
});
