// Power management through the power_state hook: the platform decides, the
// host's PMCSR follows, and D3hot -> D0 resets the virtual state unless the
// function reports No_Soft_Reset.
import { describe, expect, it } from "vitest";
import { exampleDevices } from "../../src/open-device.js";
import { readHardware, setHardwareBits } from "../../src/platform/capabilities.js";
import { Machine } from "../../src/platform/machine.js";
import { AER_ENDPOINT, cf8Read, cf8Write, imageFile, programBuses } from "./helpers.js";

const [NIC, NVME] = exampleDevices(); // nic.rules: PM at 0x40, No_Soft_Reset 0; nvme.rules: PM at 0x40, No_Soft_Reset 1
const ENDPOINT = imageFile("endpoint", AER_ENDPOINT); // D1 and D2 supported
const PMCSR = 0x44;

function setup(path: string) {
  const m = new Machine();
  const fn = m.plug(1, path, { name: "fn" });
  programBuses(m, 1, 1);
  return { m, fn };
}

const setState = (m: Machine, state: number) => cf8Write(m, 1, 0, 0, PMCSR, 2, state);

describe("power state", { timeout: 60_000 }, () => {
  it("D3hot and back to D0 reach the host's PMCSR through the platform", () => {
    const { m, fn } = setup(NVME);
    setState(m, 3);
    expect(readHardware(fn.host, PMCSR, 2) & 3).toBe(3);
    expect(cf8Read(m, 1, 0, 0, PMCSR, 2) & 3).toBe(3);
    setState(m, 0);
    expect(readHardware(fn.host, PMCSR, 2) & 3).toBe(0);
    expect(m.powerEvents.map((e) => e.decision)).toEqual(["accepted", "accepted"]);
  });

  it("D3hot -> D0 with No_Soft_Reset = 0 resets the virtual state and drops interrupt routes", () => {
    const { m, fn } = setup(NIC);
    expect(readHardware(fn.host, PMCSR, 2) & 0x8).toBe(0);
    const initial = cf8Read(m, 1, 0, 0, 0x0c, 1);
    cf8Write(m, 1, 0, 0, 0x0c, 1, 0x40); // cache line size: virtual
    cf8Write(m, 1, 0, 0, 0x50 + 4, 4, 0xfee0_0000);
    cf8Write(m, 1, 0, 0, 0x50 + 2, 2, 1); // MSI on
    expect(fn.msiVectors).toBeDefined();
    setState(m, 3);
    expect(cf8Read(m, 1, 0, 0, 0x0c, 1)).toBe(0x40); // D0 -> D3hot keeps state
    setState(m, 0);
    expect(m.powerEvents.at(-1)?.decision).toBe("reset");
    expect(cf8Read(m, 1, 0, 0, 0x0c, 1)).toBe(initial);
    expect(cf8Read(m, 1, 0, 0, 0x52, 2) & 1).toBe(0);
    expect(cf8Read(m, 1, 0, 0, PMCSR, 2) & 3).toBe(0);
    expect(fn.msiVectors).toBeUndefined();
    expect(readHardware(fn.host, 0x52, 2) & 1).toBe(0);
  });

  it("D3hot -> D0 with No_Soft_Reset = 1 keeps the virtual state", () => {
    const { m, fn } = setup(NVME);
    expect(readHardware(fn.host, PMCSR, 2) & 0x8).toBe(0x8);
    cf8Write(m, 1, 0, 0, 0x0c, 1, 0x40);
    setState(m, 3);
    setState(m, 0);
    expect(m.powerEvents.at(-1)?.decision).toBe("accepted");
    expect(cf8Read(m, 1, 0, 0, 0x0c, 1)).toBe(0x40);
  });

  it("an unsupported state is discarded: PowerState keeps its value, the host's does not change", () => {
    const { m, fn } = setup(NIC); // PMC: no D1, no D2
    setState(m, 1);
    expect(cf8Read(m, 1, 0, 0, PMCSR, 2) & 3).toBe(0);
    expect(readHardware(fn.host, PMCSR, 2) & 3).toBe(0);
    setState(m, 3);
    setState(m, 2);
    expect(cf8Read(m, 1, 0, 0, PMCSR, 2) & 3).toBe(3);
    expect(readHardware(fn.host, PMCSR, 2) & 3).toBe(3);
    expect(m.powerEvents.map((e) => e.decision)).toEqual(["refused", "accepted", "refused"]);
  });

  it("D1 and D2 are accepted when the function supports them", () => {
    const { m, fn } = setup(ENDPOINT);
    setState(m, 1);
    expect(readHardware(fn.host, PMCSR, 2) & 3).toBe(1);
    setState(m, 2);
    expect(readHardware(fn.host, PMCSR, 2) & 3).toBe(2);
  });

  it("a PowerState write never clears a pending PME_Status behind the guest", () => {
    const { m, fn } = setup(NVME);
    setHardwareBits(fn.host, PMCSR, 0x8000); // hardware sets PME_Status
    setState(m, 3);
    expect(readHardware(fn.host, PMCSR, 2) & 0x8000).toBe(0x8000);
    cf8Write(m, 1, 0, 0, PMCSR, 2, 0x8003); // the guest's 1 does not clear it: PME is the host's (rules/pm.rules)
    expect(readHardware(fn.host, PMCSR, 2) & 0x8000).toBe(0x8000);
  });
});

describe("secondary bus reset", { timeout: 60_000 }, () => {
  it("setting Secondary Bus Reset on the root port resets the function below it and drops its interrupt routes", () => {
    const { m, fn } = setup(NIC);
    const initial = cf8Read(m, 1, 0, 0, 0x0c, 1);
    cf8Write(m, 1, 0, 0, 0x0c, 1, 0x40);
    cf8Write(m, 1, 0, 0, 0x50 + 4, 4, 0xfee0_0000);
    cf8Write(m, 1, 0, 0, 0x50 + 2, 2, 1);
    expect(m.hostVectors.size).toBeGreaterThan(0);
    const bridgeControl = cf8Read(m, 0, 1, 0, 0x3e, 2);
    cf8Write(m, 0, 1, 0, 0x3e, 2, bridgeControl | 0x40); // assert SBR on port 00:01.0
    expect(cf8Read(m, 0, 1, 0, 0x3e, 2) & 0x40).toBe(0x40); // the bit reads back as written
    expect(cf8Read(m, 1, 0, 0, 0x0c, 1)).toBe(initial);
    expect(cf8Read(m, 1, 0, 0, 0x52, 2) & 1).toBe(0);
    expect(m.hostVectors.size).toBe(0);
    expect(fn.powerState).toBe(0);
  });
});
