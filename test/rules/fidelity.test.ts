// Issue 10, rule fidelity: registers where the rules follow (or, with a
// reason, depart from) Linux vfio-pci (drivers/vfio/pci/vfio_pci_config.c) and
// Xen's QEMU pass-through (hw/xen/xen_pt_config_init.c). Named by point.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { openPairFromSource, runPair, type GuestAccess } from "../../src/fuzz/harness.js";
import { openDevice, readDeviceSource } from "../../src/open-device.js";
import { packageRoot, rulesDir } from "../../src/paths.js";
import { haveSharedDevices, sharedDevicesDir } from "../helpers/devices.js";
import { deviceFileFor, openSynth, stdlib, type SynthCap } from "./synth.js";

/** Set bits in the host's configuration space, as the hardware would by itself. */
const setHost = (words: Uint32Array, offset: number, bits: number) => {
  words[offset >> 2] = (words[offset >> 2] | (bits << ((offset & 3) * 8))) >>> 0;
};
const host16 = (words: Uint32Array, offset: number) => (words[offset >> 2] >>> ((offset & 3) * 8)) & 0xffff;
/** A rule file's comments as one line of prose (line breaks and `#` marks removed). */
const commentsOf = (path: string) =>
  readFileSync(path, "utf8").split("\n").filter((l) => l.trimStart().startsWith("#")).map((l) => l.replace(/^\s*##?\s?/, "")).join(" ");

describe("10.5 W1C status bits both peers keep from the hardware", () => {
  it("10.5 PMCSR PME_Status, PME_En and PME_Support read 0 and the guest changes neither bit on the host", () => {
    // PMC: PME from D0 and D3hot; PMCSR: PME_Status and PME_En set by the hardware.
    const { device, host } = openSynth([{ kind: "capability", id: 0x01, offset: 0x40, bytes: { 2: 0x03, 3: 0xc8, 4: 0x00, 5: 0x81 } }]);
    expect(device.read(0x42, 2)).toBe(0x0003); // PME_Support reads 0 (vfio: virtualized and cleared; Xen: emu_mask 0xF9C8)
    expect(device.read(0x44, 2) & 0x8100).toBe(0);
    device.write(0x44, 2, 0x8000); // a guest 1 to PME_Status
    device.write(0x44, 2, 0x0000); // a guest 0 to PME_En
    expect(host16(host.words, 0x44) & 0x8100).toBe(0x8100);
    device.write(0x44, 2, 0x0100); // a guest 1 to PME_En: not armed, on the host or in the view
    expect(device.read(0x44, 2) & 0x0100).toBe(0);
  });

  it("10.5 PCIe Device Status bit 6 stays set on the host; bits 0-3 still clear as the guest writes 1 (Xen)", () => {
    const { device, host } = openSynth([{ kind: "capability", id: 0x10, offset: 0x40, bytes: { 2: 0x02, 0x0a: 0x4f } }]);
    expect(device.read(0x4a, 2)).toBe(0x004f); // the guest sees the value at attach
    device.write(0x4a, 2, 0xffff);
    expect(host16(host.words, 0x4a)).toBe(0x0040);
    expect(device.read(0x4a, 2)).toBe(0x0040); // bit 6 read live (pass(read)); bits 0-3 cleared
  });

  it("10.5 Link Status 2 bits 5 and 15 stay set on the host", () => {
    const { device, host } = openSynth([{ kind: "capability", id: 0x10, offset: 0x40, bytes: { 2: 0x02, 0x32: 0x23, 0x33: 0x80 } }]);
    expect(device.read(0x72, 2)).toBe(0x8023);
    device.write(0x72, 2, 0xffff);
    device.write(0x70, 4, 0xffff0000);
    expect(host16(host.words, 0x72)).toBe(0x8023);
    expect(device.read(0x72, 2) & 0x8020).toBe(0x8020); // read live (pass(read)), as both peers
  });

  it("10.5 AER Uncorrectable Status bits 31:26 stay set on the host; bits 4-25 clear as vfio lets them", () => {
    const { device, host } = openSynth([{ kind: "extended", id: 0x0001, offset: 0x100, bytes: { 6: 0x10, 7: 0xfc } }]);
    expect(device.read(0x104, 4)).toBe(0xfc100000);
    device.write(0x104, 4, 0xffffffff);
    expect(host.words[0x104 >> 2]).toBe(0xfc000000);
    expect(device.read(0x104, 4)).toBe(0xfc000000); // 31:26 read live (pass(read)), as vfio
  });

  it("10.5 Secondary PCIe Lane Error Status and the 16/32 GT/s status registers stay set on the host", () => {
    const caps: SynthCap[] = [
      { kind: "capability", id: 0x10, offset: 0x40, bytes: { 2: 0x02, 0x0c: 0x11 } }, // x1 link
      { kind: "extended", id: 0x0019, offset: 0x100, bytes: { 8: 0x01 } },
      { kind: "extended", id: 0x0026, offset: 0x200, bytes: { 0x0c: 0x1f, 0x10: 0x01, 0x14: 0x01, 0x18: 0x01 } },
      { kind: "extended", id: 0x002a, offset: 0x300, bytes: { 0x0c: 0x1f } },
    ];
    const { device, host, tables } = openSynth(caps);
    expect(tables.placed.filter((p) => p.visible).map((p) => p.template.name)).toEqual(expect.arrayContaining(["secondary_pcie", "phy16", "phy32"]));
    const before = Uint32Array.from(host.words);
    for (const o of [0x108, 0x20c, 0x210, 0x214, 0x218, 0x30c]) {
      expect(device.read(o, 4), `0x${o.toString(16)}`).toBe(before[o >> 2]);
      device.write(o, 4, 0xffffffff);
      expect(host.words[o >> 2], `0x${o.toString(16)}`).toBe(before[o >> 2]);
    }
    expect(device.read(0x20c, 4)).toBe(0x1f); // equalization status and the request bit read live (pass(read))
  });
});

describe("10.8 Command bits 3-5 pass, as in both peers", () => {
  it("10.8 Special Cycles, MWI and VGA Palette Snoop read the hardware and the guest's writes reach it", () => {
    const { device, host } = openSynth([]); // a conventional function: no PCI Express capability
    setHost(host.words, 0x04, 0x0008);
    expect(device.read(0x04, 2) & 0x0038).toBe(0x0008);
    device.write(0x04, 2, (device.read(0x04, 2) & ~0x0038) | 0x0030);
    expect(host16(host.words, 0x04) & 0x0038).toBe(0x0030);
    expect(device.read(0x04, 2) & 0x0038).toBe(0x0030);
  });
});

describe("10.9 PMCSR Data_Select, Data_Scale and Data read the hardware", () => {
  it("10.9 PMCSR Data reads the hardware and Data_Select reaches it (synthetic)", () => {
    const { device, host } = openSynth([{ kind: "capability", id: 0x01, offset: 0x40, bytes: { 2: 0x03, 5: 0x20, 7: 0x1a } }]);
    expect(device.read(0x47, 1)).toBe(0x1a);
    expect((device.read(0x44, 2) >> 13) & 3).toBe(1);
    device.write(0x44, 2, 0x0a00); // Data_Select = 5
    expect((host16(host.words, 0x44) >> 9) & 0xf).toBe(5);
    expect((device.read(0x44, 2) >> 9) & 0xf).toBe(5);
  });

  it.skipIf(!haveSharedDevices)("10.9 PMCSR Data reads the hardware on the 82576 (Data 0x1a, Data_Scale 1)", () => {
    const { device } = openDevice(join(sharedDevicesDir, "intel-82576-nic.lspci"));
    expect(device.read(0x40, 1)).toBe(0x01);
    expect(device.read(0x47, 1)).toBe(0x1a);
    expect(device.read(0x44, 4) >>> 24).toBe(0x1a);
    expect((device.read(0x44, 2) >> 13) & 3).toBe(1);
  });
});

describe("10.10 VPD writes reach the device through the handshake", () => {
  const dir = mkdtempSync(join(tmpdir(), "cfgvirt-fidelity-"));
  const file = join(dir, "vpd.rules");
  writeFileSync(file, `image "vpd" {\n  vpd "0123456789abcdef"\n  header type0 { vendor_id = 0x1af4; device_id = 0x1002 }\n  capability vpd @ 0x40 { }\n}\n`);

  it("10.10 a VPD write (F=1) stores the data at the address and clears F; a read (F=0) returns it", () => {
    const { device, host } = openDevice(file);
    device.write(0x44, 4, 0x44434241);
    device.write(0x42, 2, 0x8004);
    expect(device.read(0x42, 2)).toBe(0x0004); // completion: F cleared
    device.write(0x44, 4, 0);
    device.write(0x42, 2, 0x0004);
    expect(device.read(0x42, 2)).toBe(0x8004);
    expect(device.read(0x44, 4)).toBe(0x44434241);
    device.write(0x42, 2, 0x0000); // the bytes around it are untouched
    expect(device.read(0x44, 4)).toBe(0x33323130);
    expect(host.writes).toBe(0); // nothing went to the configuration registers
  });

  it("10.10 the reference interpreter agrees on a VPD write and read-back", () => {
    const pair = openPairFromSource(readDeviceSource(file));
    const accesses: GuestAccess[] = [
      { kind: "w", offset: 0x44, size: 4, value: 0xcafef00d },
      { kind: "w", offset: 0x42, size: 2, value: 0x8008 },
      { kind: "r", offset: 0x40, size: 4 },
      { kind: "w", offset: 0x42, size: 2, value: 0x0008 },
      { kind: "r", offset: 0x44, size: 4 },
      { kind: "w", offset: 0x43, size: 1, value: 0xff }, // F=1 and an address past the end: no completion
      { kind: "r", offset: 0x42, size: 2 },
    ];
    expect(runPair(pair, accesses)).toBeUndefined();
    expect(pair.table.device.read(0x44, 4)).toBe(0xcafef00d);
  });
});

describe("10.11 vendor-specific shown and read from the hardware; Debug Port hidden; DSN, PRI, VSEC decided against vfio", () => {
  it("10.11 the vendor-specific capability is shown by default, reads the hardware and drops writes", () => {
    const caps: SynthCap[] = [{ kind: "capability", id: 0x09, offset: 0x48, bytes: { 2: 0x08, 3: 0x11, 4: 0x22, 5: 0x33, 6: 0x44, 7: 0x55 } }];
    const { device, host, tables } = openSynth(caps);
    expect(tables.placed.find((p) => p.offset === 0x48)?.visible).toBe(true);
    expect(device.read(0x34, 1)).toBe(0x48);
    expect(device.read(0x48, 4)).toBe(0x11080009);
    setHost(host.words, 0x4c, 0x01); // the device changed a vendor byte: the guest sees it
    expect(device.read(0x4c, 4)).toBe(0x55443323);
    device.write(0x4c, 4, 0);
    expect(host.words[0x4c >> 2]).toBe(0x55443323);
  });

  it.skipIf(!haveSharedDevices)("10.11 Myri-10G's vendor-specific capability at 88h is in the guest's chain with the hardware's bytes", () => {
    const path = join(sharedDevicesDir, "myricom-myri10g-nic.lspci");
    const { device, host } = openDevice(path);
    const chain: number[] = [];
    for (let p = device.read(0x34, 1); p !== 0 && chain.length < 48; p = device.read(p + 1, 1)) chain.push(p);
    expect(chain).toContain(0x88);
    const len = device.read(0x8a, 1);
    expect(len).toBe(host.words[0x88 >> 2] >>> 16 & 0xff);
    for (let o = 0x8c; o < 0x88 + len; o += 4) expect(device.read(o, 4)).toBe(host.words[o >> 2]);
  });

  it("10.11 the EHCI Debug Port is hidden by default; a device file may allow it, read-only", () => {
    const caps: SynthCap[] = [{ kind: "capability", id: 0x0a, offset: 0x58, bytes: { 2: 0xa0, 3: 0x20 } }];
    const hidden = openSynth(caps);
    expect(hidden.device.read(0x34, 1)).toBe(0);
    expect(hidden.device.read(0x58, 4)).toBe(0);
    const allowed = openSynth(caps, { deviceFile: deviceFileFor("allow debug_port") });
    expect(allowed.device.read(0x58, 4)).toBe(0x20a0000a);
  });

  it.skipIf(!haveSharedDevices)("10.11 the ICH10 EHCI dump's Debug Port at 58h is not in the guest's chain", () => {
    const { device, tables } = openDevice(join(sharedDevicesDir, "intel-ich10-ehci.lspci"));
    expect(tables.placed.find((p) => p.template.name === "debug_port")?.visible).toBe(false);
    for (let p = device.read(0x34, 1), n = 0; p !== 0 && n < 48; p = device.read(p + 1, 1), n++) expect(p).not.toBe(0x58);
  });

  it("10.11 DSN, PRI, VSEC and DVSEC stay hidden on a non-GPU device, each with a reason that names vfio's choice", () => {
    const t = stdlib().templatesByName;
    for (const name of ["dsn", "pri", "vsec", "dvsec"]) {
      expect(t.get(name)?.hiddenReason, name).toBeTruthy();
      const file = commentsOf(resolve(packageRoot, t.get(name)!.source.path));
      expect(file, name).toMatch(/vfio-pci,? (which )?shows/);
      expect(file, name).toMatch(/decided? against|hide it instead/);
    }
  });
});

describe("10.12 Device Control bits a driver sets for performance", () => {
  it("10.12 Relaxed Ordering reaches the hardware; Extended Tag, No Snoop and Max_Read_Request_Size stay virtual", () => {
    // Endpoint, version 2; the host set RO, Ext Tag, No Snoop and MRRS 512.
    const { device, host } = openSynth([{ kind: "capability", id: 0x10, offset: 0x40, bytes: { 2: 0x02, 8: 0x10, 9: 0x29 } }]);
    expect(device.read(0x48, 2)).toBe(0x2910);
    device.write(0x48, 2, 0x5000); // RO off (a driver's erratum workaround), Ext Tag off, No Snoop off, MRRS 4096
    expect(host16(host.words, 0x48)).toBe(0x2900);
    expect(device.read(0x48, 2)).toBe(0x5000);
    device.write(0x48, 2, 0x5010); // and back on
    expect(host16(host.words, 0x48)).toBe(0x2910);
  });
});

describe("10.15 what the rule comments say about the peers matches the peers' source", () => {
  // vfio-pci's visibility of each capability, from vfio_pci_config.c
  // pci_cap_length / pci_ext_cap_length (0 or no entry: removed from the chain).
  const VFIO_SHOWS: Record<string, boolean> = {
    pm: true, vpd: true, msi: true, vendor_specific: true, debug_port: false, ssvid: false, pcie: true, msix: true, af: true,
    aer: true, vc: true, dsn: true, power_budgeting: true, vsec: true, acs: true, ari: true, ats: true, sriov: true,
    multicast: true, pri: true, rebar: true, ltr: true, secondary_pcie: false, pasid: false, l1ss: false, dvsec: true, dlf: false,
    phy16: false, lane_margining: false, phy32: false,
  };

  it("10.15 every capability is in the table", () => {
    const names = stdlib().templates.filter((t) => t.kind !== "header").map((t) => t.name).sort();
    expect(Object.keys(VFIO_SHOWS).sort()).toEqual(names);
  });

  it("10.15 a rule file that says vfio-pci shows or hides its capability is right", () => {
    const wrong: string[] = [];
    for (const t of stdlib().templates.filter((x) => x.kind !== "header")) {
      const path = resolve(packageRoot, t.source.path);
      expect(path.startsWith(rulesDir), path).toBe(true);
      const comments = commentsOf(path);
      if (/vfio-pci (hides|removes)/.test(comments) && VFIO_SHOWS[t.name]) wrong.push(`${basename(path)} says vfio-pci hides ${t.name}`);
      if (/vfio-pci shows/.test(comments) && !VFIO_SHOWS[t.name]) wrong.push(`${basename(path)} says vfio-pci shows ${t.name}`);
    }
    expect(wrong).toEqual([]);
  });

  it("10.15 header-type0.rules does not say Xen keeps INTx Disable virtual (xen_pt_cmd_reg_write writes it through)", () => {
    const text = commentsOf(join(rulesDir, "header-type0.rules"));
    expect(text).not.toMatch(/INTx Disable are virtual, as in Xen/);
    expect(text).toMatch(/xen_pt_cmd_reg_write/);
  });

  it("10.15 vpd.rules says VPD writes reach the device, as vfio's vfio_vpd_config_write does", () => {
    const text = commentsOf(join(rulesDir, "vpd.rules"));
    expect(text).toMatch(/pci_write_vpd/);
    expect(text).not.toMatch(/never a raw write to the host's VPD/);
  });
});
