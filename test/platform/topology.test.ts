// Topology and Type 1 routing: the host bridge and root ports on bus 0, the
// passed-through function behind the bus numbers the guest programs.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_EXAMPLE, exampleDevices, guestView } from "../../src/open-device.js";
import { Machine } from "../../src/platform/machine.js";
import { cf8Read, cf8Write, ecamRead, programBuses } from "./helpers.js";

const haveLspci = existsSync("/usr/bin/lspci");

describe("bus 0", { timeout: 60_000 }, () => {
  it("holds the host bridge at 00:00.0 and one Root Port per slot, nothing else", () => {
    const m = new Machine({ rootPorts: 3 });
    expect(cf8Read(m, 0, 0, 0, 0x0a, 2)).toBe(0x0600); // host bridge
    for (const dev of [1, 2, 3]) {
      expect(cf8Read(m, 0, dev, 0, 0x00, 4)).toBe(0x000c1b36);
      expect(cf8Read(m, 0, dev, 0, 0x0a, 2)).toBe(0x0604); // PCI-to-PCI bridge
      expect(cf8Read(m, 0, dev, 0, 0x0e, 1)).toBe(0x01); // Type 1, single function
    }
    expect(cf8Read(m, 0, 4, 0, 0, 4)).toBe(0xffffffff);
    expect(cf8Read(m, 0, 1, 1, 0, 4)).toBe(0xffffffff);
  });

  it("Machines share their host bridge's and root ports' tables, never their state", () => {
    const a = new Machine({ rootPorts: 2 });
    const b = new Machine({ rootPorts: 2 });
    expect(b.topology.hostBridge.tables).toBe(a.topology.hostBridge.tables);
    expect(b.port(1).opened.tables).toBe(a.port(1).opened.tables);
    // Each port's image carries its own slot number: tables of its own.
    expect(a.port(2).opened.tables).not.toBe(a.port(1).opened.tables);
    programBuses(a, 1, 5);
    expect(a.port(1).secondaryBus).toBe(5);
    expect(b.port(1).secondaryBus).toBe(0);
    const command = cf8Read(b, 0, 0, 0, 0x04, 2);
    cf8Write(a, 0, 0, 0, 0x04, 2, command ^ 0x0006);
    expect(cf8Read(a, 0, 0, 0, 0x04, 2)).not.toBe(command);
    expect(cf8Read(b, 0, 0, 0, 0x04, 2)).toBe(command);
  });

  it("each Root Port is PCI Express type Root Port with a hot-plug slot numbered after it", () => {
    const m = new Machine({ rootPorts: 2 });
    for (const dev of [1, 2]) {
      const pcie = cf8Read(m, 0, dev, 0, 0x34, 1);
      expect(cf8Read(m, 0, dev, 0, pcie, 1)).toBe(0x10);
      const flags = cf8Read(m, 0, dev, 0, pcie + 2, 2);
      expect((flags >> 4) & 0xf).toBe(4);
      expect(flags & 0x100).toBe(0x100);
      const slotCaps = cf8Read(m, 0, dev, 0, pcie + 0x14, 4);
      expect(slotCaps & 0x40).toBe(0x40); // Hot-Plug Capable
      expect(slotCaps >>> 19).toBe(dev); // Physical Slot Number
      expect(cf8Read(m, 0, dev, 0, pcie + 0x0c, 4) >>> 24).toBe(dev); // Port Number
    }
  });

  it.skipIf(!haveLspci)("lspci decodes a Root Port's guest view as a Root Port with a slot", () => {
    const m = new Machine({ rootPorts: 1 });
    programBuses(m, 1, 1);
    const bytes = guestView(m.port(1).device, 4096);
    const rows: string[] = ["00:01.0 PCI bridge: cfgvirt root port"];
    for (let i = 0; i < 4096; i += 16) rows.push(`${i.toString(16).padStart(2, "0")}: ${Array.from(bytes.subarray(i, i + 16), (b) => b.toString(16).padStart(2, "0")).join(" ")}`);
    const file = join(mkdtempSync(join(tmpdir(), "cfgvirt-lspci-")), "port.lspci");
    writeFileSync(file, rows.join("\n") + "\n");
    const out = execFileSync("lspci", ["-F", file, "-vvv"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    expect(out).toMatch(/Bus: primary=00, secondary=01, subordinate=01/);
    expect(out).toMatch(/Express \(v2\) Root Port \(Slot\+\)/);
    expect(out).toMatch(/MSI: Enable- Count=1\/1 Maskable- 64bit\+/);
    expect(out).toMatch(/Advanced Error Reporting/);
  });
});

describe("Type 1 routing", { timeout: 60_000 }, () => {
  it("nothing behind a port is reachable until the guest programs its bus numbers", () => {
    const m = new Machine();
    m.plug(1, DEFAULT_EXAMPLE);
    for (let bus = 1; bus < 256; bus++) expect(cf8Read(m, bus, 0, 0, 0, 4)).toBe(0xffffffff);
  });

  it("routes the secondary bus to the function in the slot; reprogramming moves it", () => {
    const m = new Machine();
    const fn = m.plug(1, DEFAULT_EXAMPLE);
    programBuses(m, 1, 5, 7);
    expect(cf8Read(m, 0, 1, 0, 0x18, 4)).toBe(0x00070500);
    expect(cf8Read(m, 5, 0, 0, 0, 4)).toBe(fn.device.read(0, 4));
    expect(cf8Read(m, 5, 1, 0, 0, 4)).toBe(0xffffffff); // a Root Port's link reaches device 0 only
    expect(cf8Read(m, 6, 0, 0, 0, 4)).toBe(0xffffffff); // subordinate range: no switch here
    expect(cf8Read(m, 8, 0, 0, 0, 4)).toBe(0xffffffff);
    programBuses(m, 1, 9);
    expect(cf8Read(m, 5, 0, 0, 0, 4)).toBe(0xffffffff);
    expect(ecamRead(m, 9, 0, 0, 0, 4)).toBe(fn.device.read(0, 4));
  });

  it("a write on the secondary bus reaches the function, and only it", () => {
    const m = new Machine();
    const nic = m.plug(1, exampleDevices()[0]);
    const nvme = m.plug(2, exampleDevices()[1]);
    programBuses(m, 1, 1);
    programBuses(m, 2, 2);
    cf8Write(m, 2, 0, 0, 0x0c, 1, 0x20);
    expect(nvme.device.read(0x0c, 1)).toBe(0x20);
    expect(nic.device.read(0x0c, 1)).toBe(0x10);
    expect(cf8Read(m, 1, 0, 0, 0, 4)).toBe(nic.device.read(0, 4));
    expect(cf8Read(m, 2, 0, 0, 0, 4)).toBe(nvme.device.read(0, 4));
  });

  it("overlapping ranges: the lower-numbered port wins", () => {
    const m = new Machine();
    const a = m.plug(1, exampleDevices()[0]);
    m.plug(2, exampleDevices()[1]);
    programBuses(m, 1, 3, 4);
    programBuses(m, 2, 3, 3);
    expect(cf8Read(m, 3, 0, 0, 0, 4)).toBe(a.device.read(0, 4));
  });

  it("the Root Port is fully virtual: programming it reaches neither the function nor the port's model", () => {
    const m = new Machine();
    const fn = m.plug(1, DEFAULT_EXAMPLE);
    const port = m.port(1);
    const portBytes = port.host.bytes();
    const fnWrites = fn.host.writes;
    programBuses(m, 1, 1, 4);
    // Every bit but Secondary Bus Reset (Bridge Control bit 6), which resets the function on purpose (reset.test.ts).
    for (let off = 0x04; off < 0x40; off += 4) cf8Write(m, 0, 1, 0, off, 4, off === 0x3c ? 0xffbfffff : 0xffffffff);
    // Only Status RW1C bits pass to the port's own model (the platform's); none were set.
    expect(port.host.bytes()).toEqual(portBytes);
    expect(fn.host.writes).toBe(fnWrites);
    expect(cf8Read(m, 0, 1, 0, 0x1a, 1)).toBe(0xff); // subordinate bus: the guest's value, virtual
  });
});
