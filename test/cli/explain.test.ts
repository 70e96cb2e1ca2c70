import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openDevice } from "../../src/open-device.js";
import { cli } from "../helpers/cli.js";

const dir = mkdtempSync(join(tmpdir(), "cfgvirt-explain-"));

describe("cfgvirt explain", () => {
  it("lists each shown register's fields with attribute, policy and rule file:line", async () => {
    const r = await cli("explain");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^msi @ 0x050 \(capability ID 0x05, 16 bytes\): shown by default$/m);
    expect(r.out).toMatch(/^ {2}0x052 control u16$/m);
    expect(r.out).toMatch(/^ {4}\[0\] +enable +RW +trap\(msi_enable, 0x0\) +rules\/msi\.rules:\d+$/m);
    expect(r.out).toMatch(/^ {4}\[2\] +bus_master +RW +pass +rules\/header-type0\.rules:\d+$/m);
  });

  it("with an OFFSET shows only the register holding it, or says no rule covers it", async () => {
    const r = await cli("explain", "0x06");
    expect(r.out).toMatch(/0x006 status u16/);
    expect(r.out).not.toMatch(/command u16|msi @/);
    const d = await cli("explain", "0xe0");
    expect(d.out).toContain("0x0e0: no rule covers this byte: reads 0, writes dropped (default deny)");
    expect((await cli("explain", "0x1000")).code).toBe(2);
  });

  it("names the override that changed a field, and the device file's pass ranges", async () => {
    const p = join(dir, "dev.rules");
    writeFileSync(p, 'device "nic-test" match 8086:10d3 {\n  override msi.control.multiple_enable hide\n  pass 0xe0..0xe3 RW\n}\n');
    const r = await cli("explain", "--rules", p, "0x52");
    expect(r.out).toContain('policy "nic-test"');
    expect(r.out).toMatch(/multiple_enable +RW +hide\(0x0\) +rules\/msi\.rules:\d+ \(overridden at .*dev\.rules:2\)/);
    // The device-specific bytes it passes through reach the hardware; the byte after them does not.
    const { device, host } = openDevice(join("examples", "nic.rules"), { rules: [p] });
    device.write(0xe0, 4, 0x11223344);
    device.write(0xe4, 4, 0x55667788);
    expect(host.read32(0xe0 >> 2)).toBe(0x11223344);
    expect(host.read32(0xe4 >> 2)).toBe(0);
    expect(device.read(0xe0, 4)).toBe(0x11223344);
  });
});
