// MSI's four layouts (32/64-bit address, with and without per-vector masking):
// the guest's data register sits where the layout puts it, masking is shown as
// absent and its registers hidden, and the capability ends where the layout does.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openDevice } from "../../src/open-device.js";

const dir = mkdtempSync(join(tmpdir(), "cfgvirt-msi-"));
const LAYOUTS = [
  { addr64: 0, pvm: 0, data: 0x08, size: 0x0c },
  { addr64: 1, pvm: 0, data: 0x0c, size: 0x10 },
  { addr64: 0, pvm: 1, data: 0x08, size: 0x14 },
  { addr64: 1, pvm: 1, data: 0x0c, size: 0x18 },
];

describe.each(LAYOUTS)("MSI with addr64=$addr64, per-vector masking=$pvm", ({ addr64, pvm, data, size }) => {
  const file = join(dir, `msi-${addr64}${pvm}.rules`);
  writeFileSync(
    file,
    `image "msi" {\n  header type0 { vendor_id = 0x1af4; device_id = 0x1234 }\n  capability msi @ 0x50 { control.addr64 = ${addr64}; control.per_vector_mask = ${pvm} }\n}\n`,
  );
  const base = 0x50;

  it("places the capability with the layout's size", () => {
    const { tables } = openDevice(file);
    expect(tables.placed.find((p) => p.template.name === "msi")!.size).toBe(size);
  });

  it("keeps the guest's address and data virtual, at the layout's offsets", () => {
    const { device, host } = openDevice(file);
    const before = host.bytes();
    device.write(base + 4, 4, 0xfee01000);
    if (addr64) device.write(base + 8, 4, 0x1);
    device.write(base + data, 2, 0x4051);
    expect(device.read(base + 4, 4)).toBe(0xfee01000);
    expect(device.read(base + data, 2)).toBe(0x4051);
    expect(Array.from(host.bytes())).toEqual(Array.from(before));
  });

  it("shows per-vector masking as absent and hides the mask and pending registers", () => {
    const { device, host } = openDevice(file);
    expect(device.read(base + 2, 2) & 0x100).toBe(0);
    if (pvm) {
      const mask = base + data + 4;
      host.words[mask >> 2] = 0xff;
      device.write(mask, 4, 0xffffffff);
      expect(device.read(mask, 4)).toBe(0);
      expect(host.read32(mask >> 2)).toBe(0xff);
    }
  });
});
