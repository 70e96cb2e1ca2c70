// RW1C bits the guest does not own, in bytes that reach the hardware: a guest
// write to the byte must leave them set (written 0, never written back as read),
// in the table runtime as in the reference, under any device file. The example
// devices' hardware has these bits clear, so without this fixture the fuzz
// suite could not tell (`npm run mutation`: "RW1C bits the guest does not own").
import { describe, expect, it } from "vitest";
import { openPairFromSource, runPair } from "../../src/fuzz/harness.js";
import { readDeviceSource } from "../../src/open-device.js";
import { assertAgreesUnderDeviceFiles } from "./agree.js";

const FIXTURE = "test/fuzz/fixtures/status-bits-set.rules";
const source = readDeviceSource(FIXTURE);
const DEVICE_STATUS = 0x40 + 0x0a;
const UNCORRECTABLE_STATUS = 0x100 + 0x04;
const EMERGENCY_POWER_REDUCTION = 1 << 6;

describe("RW1C bits the guest does not own", () => {
  it("a guest write of all ones clears the bits it owns and leaves the others set, in both implementations", () => {
    const pair = openPairFromSource(source);
    for (const d of [pair.table.device, pair.ref]) {
      d.write(DEVICE_STATUS, 2, 0xffff);
      d.write(UNCORRECTABLE_STATUS, 4, 0xffffffff);
    }
    const word = (words: Uint32Array, offset: number, size: number) => (words[offset >> 2] >>> ((offset & 3) * 8)) & (size === 4 ? 0xffffffff : 0xffff);
    for (const host of [pair.table.host.words, pair.refHost.words]) {
      expect(word(host, DEVICE_STATUS, 2)).toBe(EMERGENCY_POWER_REDUCTION); // bits 0-3 cleared by the guest; bit 6 is the host's
      expect(word(host, UNCORRECTABLE_STATUS, 4) >>> 0).toBe(0xfc00_0000); // bits 26-31: read live, not the guest's to clear
    }
    expect(pair.table.device.read(DEVICE_STATUS, 2)).toBe(EMERGENCY_POWER_REDUCTION);
    expect(runPair(pair, [])).toBeUndefined();
  });

  it("the table runtime and the reference agree on this hardware under fuzzed device files and accesses", () => {
    assertAgreesUnderDeviceFiles(source, { seed: 0x51a7, numRuns: 50 });
  }, 60_000);
});
