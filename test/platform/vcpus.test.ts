// Interrupts to vCPUs: MSI and MSI-X land on the vCPU the guest's message
// address names (physical destination ID), and the platform counts every
// delivery that had to go to another vCPU (the talk's goal: zero).
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Machine } from "../../src/platform/machine.js";
import { decodeMsi, msiAddressFor, Vcpus } from "../../src/platform/vcpus.js";
import { haveSharedDevices, sharedDevicesDir } from "../helpers/devices.js";
import { ecamWrite, programBuses } from "./helpers.js";

const RTL8111 = join(sharedDevicesDir, "realtek-rtl8111-nic.lspci"); // MSI @50 (64-bit), MSI-X @b0
const NIC_82576 = join(sharedDevicesDir, "intel-82576-nic.lspci"); // MSI-X @70, table in BAR 3

describe.skipIf(!haveSharedDevices)("MSI and MSI-X delivery to vCPUs (real dumps)", { timeout: 60_000 }, () => {
  it("an MSI to vCPU 3 of 4 lands on vCPU 3 with zero redirections", () => {
    const m = new Machine({ vcpus: 4 });
    const fn = m.plug(1, RTL8111, { name: "rtl8111" });
    programBuses(m, 1, 1);
    const msi = fn.msi!;
    ecamWrite(m, 1, 0, 0, msi + 4, 4, msiAddressFor(3));
    ecamWrite(m, 1, 0, 0, msi + 8, 4, 0);
    ecamWrite(m, 1, 0, 0, msi + 0x0c, 2, 0x0051);
    ecamWrite(m, 1, 0, 0, msi + 2, 2, 1);
    m.signal(fn, 0);
    expect(m.cpus.deliveries()).toEqual([0, 0, 0, 1]);
    expect(m.cpus.cpus[3].apic.vectors.toArray()).toEqual([0x51]);
    expect(m.cpus.redirections).toBe(0);
  });

  it("an MSI-X entry written through the BAR names vCPU 2; after the guest retargets it, vCPU 1", () => {
    const m = new Machine({ vcpus: 4 });
    const fn = m.plug(1, NIC_82576, { name: "82576" });
    programBuses(m, 1, 1);
    const loc = fn.msixLocation!;
    ecamWrite(m, 1, 0, 0, 0x10 + 4 * loc.table.bar, 4, 0xc000_0000);
    ecamWrite(m, 1, 0, 0, 0x04, 2, 0x0006);
    const entry = 0xc000_0000 + loc.table.offset;
    m.mmioWrite(entry, 4, msiAddressFor(2));
    m.mmioWrite(entry + 8, 4, 0x61);
    m.mmioWrite(entry + 12, 4, 0);
    ecamWrite(m, 1, 0, 0, fn.msix! + 2, 2, 0x8000);
    m.signal(fn, 0);
    m.mmioWrite(entry, 4, msiAddressFor(1));
    m.signal(fn, 0);
    expect(m.cpus.deliveries()).toEqual([0, 1, 1, 0]);
    expect(m.cpus.redirections).toBe(0);
  });
});

describe("vCPU delivery rules", { timeout: 60_000 }, () => {
  it("a physical destination naming no vCPU goes to vCPU 0 and counts as a redirection", () => {
    const cpus = new Vcpus(4);
    expect(cpus.deliverMsi(msiAddressFor(9), 0x33)).toEqual({ vcpu: 0, vector: 0x33, redirected: true });
    expect(cpus.redirections).toBe(1);
  });

  it("an offline vCPU's interrupt is redirected; broadcast reaches every online vCPU without redirection", () => {
    const cpus = new Vcpus(3);
    cpus.cpus[2].online = false;
    expect(cpus.deliverMsi(msiAddressFor(2), 0x40).redirected).toBe(true);
    cpus.deliverMsi(msiAddressFor(0xff), 0x41);
    expect(cpus.deliveries()).toEqual([2, 1, 0]);
    expect(cpus.redirections).toBe(1);
  });

  it("logical destination mode: the lowest vCPU named in the mask takes it", () => {
    const cpus = new Vcpus(4);
    expect(cpus.deliverMsi(0xfee0_0000 | (0x0c << 12) | 0x4, 0x50).vcpu).toBe(2);
    expect(cpus.redirections).toBe(0);
  });

  it("a message outside 0xFEExxxxx is not an interrupt", () => {
    const cpus = new Vcpus(2);
    expect(decodeMsi(0xfed0_0000, 0x30).isInterrupt).toBe(false);
    expect(cpus.deliverMsi(0xfed0_0000, 0x30).vcpu).toBeUndefined();
    expect(cpus.notInterrupts).toBe(1);
    expect(cpus.deliveries()).toEqual([0, 0]);
  });
});
