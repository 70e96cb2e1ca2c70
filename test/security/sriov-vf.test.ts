// Issue 10 point 14: an SR-IOV virtual function reads 0xFFFF as its Vendor and
// Device ID and 0 in its BARs; the guest must see the host kernel's values,
// taken from the physical function's SR-IOV capability, as vfio-pci and Xen do.
// The VF is made from the 82576 PF dump the way the hardware presents one.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compileRuleText } from "../../src/compile/pipeline.js";
import { CfgvirtError } from "../../src/diag/diagnostic.js";
import { formatLspciDump } from "../../src/host/dump.js";
import { SimulatedDevice } from "../../src/host/simulated.js";
import { virtualFunctionHost } from "../../src/host/virtual-function.js";
import { openSource, readDeviceSource } from "../../src/open-device.js";
import { cli } from "../helpers/cli.js";
import { haveSharedDevices, sharedDevicesDir } from "../helpers/devices.js";

const pfPath = join(sharedDevicesDir, "intel-82576-nic.lspci");

describe.skipIf(!haveSharedDevices)("10.14 SR-IOV virtual functions take their IDs and BARs from the PF", () => {
  const pf = haveSharedDevices ? readDeviceSource(pfPath) : undefined!;
  /** The PF's bytes with what a VF's hardware reads instead: IDs all-ones, BARs and ROM 0. */
  const vfBytes = () => {
    const b = Uint8Array.from(pf.bytes);
    b.fill(0xff, 0, 4);
    b.fill(0, 0x10, 0x28);
    b.fill(0, 0x30, 0x34);
    return b;
  };
  const le32 = (b: Uint8Array, o: number) => (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
  const sriov = 0x160; // lspci -vvv: "Capabilities: [160 v1] Single Root I/O Virtualization"

  it("without the PF the guest would read 0xffff: the failure this fixes", () => {
    const o = openSource({ ...pf, bytes: vfBytes() });
    expect(o.device.read(0, 2)).toBe(0xffff);
  });

  it("the guest reads the PF's Vendor ID and the SR-IOV VF Device ID (0x10ca)", () => {
    const o = openSource({ ...pf, bytes: vfBytes() }, { physicalFunction: { source: pf, index: 0 } });
    expect(o.device.read(0, 2)).toBe(0x8086);
    expect(o.device.read(2, 2)).toBe(0x10ca);
    expect(pf.bytes[sriov + 0x1a] | (pf.bytes[sriov + 0x1b] << 8)).toBe(0x10ca);
  });

  it("the VF's BARs are the PF's VF BARs: implemented, sizable, 64-bit memory", () => {
    const o = openSource({ ...pf, bytes: vfBytes() }, { physicalFunction: { source: pf, index: 0 }, barSizes: [16384, undefined, undefined, 16384] });
    expect(le32(pf.bytes, sriov + 0x24) & 0x7).toBe(0x4);
    o.device.write(0x10, 4, 0xffffffff);
    expect(o.device.read(0x10, 4)).toBe((~(16384 - 1) & ~0xf | 0x4) >>> 0);
    expect(o.tables.bars.find((b) => b.index === 0)).toMatchObject({ kind: "mem64", size: 16384 });
    expect(o.tables.bars.find((b) => b.index === 3)).toMatchObject({ kind: "mem64", size: 16384 });
  });

  it("a device file for the VF's own ID applies", () => {
    const compiled = compileRuleText("vf.rules", 'device "82576 VF" match 8086:10ca { hide msix }\n');
    const o = openSource({ ...pf, compiled, bytes: vfBytes() }, { physicalFunction: { source: pf, index: 0 } });
    expect(o.tables.policy.name).toBe("82576 VF");
  });

  it("a later VF's BARs are offset by its index times the BAR size", () => {
    // The host kernel's view, which the platform maps: VF BAR0 base + 3 * 16 KiB.
    const host = virtualFunctionHost(new SimulatedDevice(vfBytes()), new SimulatedDevice(pf.bytes), { index: 3, barSizes: [16384, undefined, undefined, 16384] });
    expect((host.read32(4) & ~0xf) >>> 0).toBe(((le32(pf.bytes, sriov + 0x24) & ~0xf) + 3 * 16384) >>> 0);
    expect(host.read32(0)).toBe(0x10ca8086);
    const o = openSource({ ...pf, bytes: vfBytes() }, { physicalFunction: { source: pf, index: 3 }, barSizes: [16384, undefined, undefined, 16384] });
    expect(o.tables.bars.find((b) => b.index === 0)).toMatchObject({ kind: "mem64", size: 16384 });
  });

  it("a later VF without its BAR sizes is a typed error, not a guess", () => {
    expect(() => openSource({ ...pf, bytes: vfBytes() }, { physicalFunction: { source: pf, index: 2 } })).toThrow(CfgvirtError);
  });
});

describe.skipIf(!haveSharedDevices)("10.14 on the command line: --pf FILE [--vf N]", () => {
  it("view of a VF dump with --pf shows the PF's vendor and the VF Device ID", async () => {
    const pf = readDeviceSource(pfPath);
    const b = Uint8Array.from(pf.bytes);
    b.fill(0xff, 0, 4);
    b.fill(0, 0x10, 0x28);
    const file = join(mkdtempSync(join(tmpdir(), "cfgvirt-vf-")), "vf.lspci");
    writeFileSync(file, formatLspciDump(b, "01:10.0 Ethernet controller: Intel Corporation 82576 Virtual Function"));
    const plain = await cli("view", "--device", file, "--bar", "0=16K", "--bar", "3=16K");
    expect(plain.out).toMatch(/^00: ff ff ff ff/m);
    const vf = await cli("view", "--device", file, "--pf", pfPath, "--vf", "0", "--bar", "0=16K", "--bar", "3=16K");
    expect(vf.code).toBe(0);
    expect(vf.out).toMatch(/^00: 86 80 ca 10/m);
    const bad = await cli("view", "--device", file, "--vf", "1");
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("--vf needs --pf");
  });
});
