// The real dumps in ../shared/devices, passed through behind a Root Port: both
// configuration mechanisms agree with the runtime byte for byte, and MSI /
// MSI-X enable programs the host with the platform's values. Skipped, with a
// message from the helper, when the folder is absent. Dumps are read in
// place, never copied.
import { describe, expect, it } from "vitest";
import { readHardware } from "../../src/platform/capabilities.js";
import { PLATFORM_MSI_ADDRESS } from "../../src/platform/interrupts.js";
import { Machine } from "../../src/platform/machine.js";
import { dumpHeaderType, haveSharedDevices, sharedDumps } from "../helpers/devices.js";
import { expectSameArray } from "../helpers/arrays.js";
import { cf8Read, cf8Write, ecamRead, programBuses } from "./helpers.js";

const dumps = sharedDumps();
const endpoints = dumps.filter((p) => dumpHeaderType(p) === 0);
const bridges = dumps.filter((p) => dumpHeaderType(p) !== 0);

describe.skipIf(!haveSharedDevices)("real devices behind a Root Port", { timeout: 60_000 }, () => {
  for (const path of endpoints) {
    const name = path.replace(/^.*\//, "");
    it(`${name}: CF8 (256 bytes) and ECAM (4096 bytes) read what the runtime reads`, () => {
      const m = new Machine();
      const fn = m.plug(2, path);
      programBuses(m, 2, 7);
      const words = (n: number, step: number, read: (off: number) => number) => Uint32Array.from({ length: n / step }, (_, i) => read(i * step));
      expectSameArray(words(256, 2, (off) => cf8Read(m, 7, 0, 0, off, 2)), words(256, 2, (off) => fn.device.read(off, 2)), "CF8");
      expectSameArray(words(4096, 4, (off) => ecamRead(m, 7, 0, 0, off, 4)), words(4096, 4, (off) => fn.device.read(off, 4)), "ECAM");
    });

    it(`${name}: MSI or MSI-X enable programs the host with the platform's values`, () => {
      const m = new Machine();
      const fn = m.plug(2, path, { name });
      programBuses(m, 2, 7);
      // Captured with the host driver's MSI-X on: the platform turns host interrupts off at assignment.
      if (fn.msix !== undefined) expect(readHardware(fn.host, fn.msix + 2, 2) & 0xc000).toBe(0);
      if (fn.msi !== undefined) expect(readHardware(fn.host, fn.msi + 2, 2) & 1).toBe(0);
      if (fn.msi !== undefined) {
        cf8Write(m, 7, 0, 0, fn.msi + 4, 4, 0xfee0_f00c);
        cf8Write(m, 7, 0, 0, fn.msi + 2, 2, 1);
        expect(readHardware(fn.host, fn.msi + 4, 4)).toBe(PLATFORM_MSI_ADDRESS);
        m.signal(fn, 0);
        expect(m.guestInterrupts.messages.at(-1)?.address).toBe(0xfee0_f00cn);
        cf8Write(m, 7, 0, 0, fn.msi + 2, 2, 0);
      }
      if (fn.msix !== undefined) {
        cf8Write(m, 7, 0, 0, fn.msix + 2, 2, 0x8000);
        expect(readHardware(fn.host, fn.msix + 2, 2) & 0xc000).toBe(0x8000);
        expect(fn.hostMsixTable.every((e) => e.address === BigInt(PLATFORM_MSI_ADDRESS))).toBe(true);
      }
      expect(fn.msi !== undefined || fn.msix !== undefined || name.includes("ich10")).toBe(true);
    });
  }

  for (const path of bridges) {
    it(`${path.replace(/^.*\//, "")}: a bridge is not passed through`, () => {
      const m = new Machine();
      expect(() => m.plug(1, path)).toThrow();
      expect(m.port(1).child).toBeUndefined();
    });
  }
});
