// A guest operating system's PCI bring-up, written the way Linux probes PCI
// (drivers/pci/probe.c, setup-bus.c, msi/, pci.c), against a Machine, through
// the guest's own accesses only: ECAM for configuration, MMIO and port I/O
// for BARs, the vCPUs' local interrupt controllers for interrupts. The
// platform's side (the host function, the BAR map) is looked at only to
// check that each step did what it should have on the host.
//
// Per device, in order: scan (bridges get bus numbers, depth first), read
// IDs, size BARs (decoding off while sizing), assign page-aligned addresses,
// enable decoding and bus mastering, enable MSI-X (else MSI, else INTx
// through the emulated interrupt controller) and take an interrupt on the
// vCPU chosen, map a page and let the device DMA into it, touch a BAR
// register by MMIO (and by port I/O where there is an I/O BAR), go to D3hot
// and back (restoring state after a soft reset), FLR where the function
// advertises it, and hot-unplug. Each step is checked; a failed check fails
// the step, and the boot.
import { formatLspciDump } from "../host/dump.js";
import { readHardware } from "./capabilities.js";
import { ecamAddress } from "./ecam.js";
import { intxLine } from "./intx.js";
import type { Machine } from "./machine.js";
import type { PassThroughFunction } from "./passthrough-function.js";
import { hostBarAddress } from "./bar-map.js";
import { msiAddressFor } from "./vcpus.js";

export interface BootStep {
  readonly device: string;
  readonly step: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface BootedDevice {
  readonly bdf: string;
  readonly name: string;
  /** The guest's final view, in `lspci -xxxx` form (lspci -F decodes it). */
  readonly lspci: string;
}

export interface BootReport {
  readonly ok: boolean;
  readonly steps: BootStep[];
  /** The guest's kernel log, Linux style. */
  readonly log: string[];
  readonly devices: BootedDevice[];
  readonly deliveries: number[];
  readonly redirections: number;
}

interface GuestBar {
  readonly index: number;
  readonly kind: "io" | "mem32" | "mem64";
  readonly size: number;
  address: number;
}

interface Found {
  readonly bus: number;
  readonly port: number;
  readonly bdf: string;
  readonly fn: PassThroughFunction;
  bars: GuestBar[];
  command: number;
  vcpu: number;
  vector: number;
  irq: "msix" | "msi" | "intx" | "none";
}

class StepFailed extends Error {}

const hex = (n: number, w = 0) => `0x${n.toString(16).padStart(w, "0")}`;
const lowestBit = (x: number) => ((x >>> 0) & -(x >>> 0)) >>> 0;
const alignUp = (x: number, a: number) => Math.ceil(x / a) * a;
const PAGE = 4096;

/** Windows the guest's firmware gives it: below the ECAM window, above 4 GiB, and I/O from 0xc000. */
const MEM32_BASE = 0x8000_0000;
const MEM64_BASE = 0x40_0000_0000;
const IO_BASE = 0xc000;
const DMA_BASE = 0x1000_0000;

export class GuestOs {
  readonly log: string[] = [];
  readonly steps: BootStep[] = [];
  private mem32 = MEM32_BASE;
  private mem64 = MEM64_BASE;
  private io = IO_BASE;

  constructor(private readonly m: Machine) {}

  // ---- configuration access through ECAM --------------------------------

  private r(bus: number, dev: number, off: number, size: number): number {
    return this.m.mmioRead(ecamAddress(this.m.ecam.window.base, bus, dev, 0, off), size);
  }

  private w(bus: number, dev: number, off: number, size: number, value: number): void {
    this.m.mmioWrite(ecamAddress(this.m.ecam.window.base, bus, dev, 0, off), size, value >>> 0);
  }

  private cap(d: Found, id: number): number | undefined {
    if ((this.r(d.bus, 0, 0x06, 2) & 0x10) === 0) return undefined;
    let p = this.r(d.bus, 0, 0x34, 1) & 0xfc;
    for (let guard = 0; p >= 0x40 && guard < 48; guard++) {
      if (this.r(d.bus, 0, p, 1) === id) return p;
      p = this.r(d.bus, 0, p + 1, 1) & 0xfc;
    }
    return undefined;
  }

  private step(device: string, step: string, body: () => string): boolean {
    try {
      const detail = body();
      this.steps.push({ device, step, ok: true, detail });
      return true;
    } catch (e) {
      const detail = e instanceof Error ? e.message : String(e);
      this.steps.push({ device, step, ok: false, detail });
      this.log.push(`pci ${device}: ${step} failed: ${detail}`);
      return false;
    }
  }

  private check(cond: boolean, what: string): void {
    if (!cond) throw new StepFailed(what);
  }

  // ---- the bring-up ------------------------------------------------------

  boot(): BootReport {
    const found = this.scan();
    const devices: BootedDevice[] = [];
    found.forEach((d, k) => {
      const ok =
        this.step(d.bdf, "size and assign BARs", () => this.assignBars(d)) &&
        this.step(d.bdf, "enable device", () => this.enable(d)) &&
        this.step(d.bdf, "interrupt", () => this.interrupt(d, k)) &&
        this.step(d.bdf, "DMA", () => this.dma(d, k)) &&
        this.step(d.bdf, "BAR registers", () => this.touchBars(d)) &&
        this.step(d.bdf, "D3hot and back", () => this.d3hot(d)) &&
        this.step(d.bdf, "FLR", () => this.flr(d));
      if (ok) {
        const size = d.fn.host.size > 256 ? 4096 : 256;
        const bytes = new Uint8Array(size);
        for (let o = 0; o < size; o += 4) {
          const v = this.r(d.bus, 0, o, 4);
          for (let i = 0; i < 4; i++) bytes[o + i] = (v >>> (i * 8)) & 0xff;
        }
        const title = d.fn.opened.source.title.replace(/^(?:[0-9a-f]{4}:)?[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]\s*/i, "");
        devices.push({ bdf: d.bdf, name: d.fn.name, lspci: formatLspciDump(bytes, `${d.bdf.slice(5)} ${title}`) });
      }
      this.step(d.bdf, "hot-unplug", () => this.unplug(d));
    });
    return {
      ok: this.steps.every((s) => s.ok),
      steps: this.steps,
      log: this.log,
      devices,
      deliveries: this.m.cpus.deliveries(),
      redirections: this.m.cpus.redirections,
    };
  }

  /** pci_scan_bus: bus 0, then each bridge's secondary bus, numbering buses depth first. */
  private scan(): Found[] {
    const found: Found[] = [];
    let nextBus = 1;
    this.step("0000:00", "scan", () => {
      for (let dev = 0; dev < 32; dev++) {
        const id = this.r(0, dev, 0, 4);
        if ((id & 0xffff) === 0xffff) continue;
        const header = this.r(0, dev, 0x0e, 1) & 0x7f;
        const cls = this.r(0, dev, 0x08, 4) >>> 8;
        this.log.push(`pci 0000:00:${dev.toString(16).padStart(2, "0")}.0: [${hex4(id & 0xffff)}:${hex4(id >>> 16)}] type ${header.toString(16).padStart(2, "0")} class ${hex(cls, 6)}`);
        if (header !== 1) continue;
        const bus = nextBus++;
        // Primary 0, secondary `bus`, subordinate `bus` (no switches below a Root Port).
        this.w(0, dev, 0x18, 4, (this.r(0, dev, 0x18, 4) & 0xff000000) | (bus << 16) | (bus << 8));
        const child = this.r(bus, 0, 0, 4);
        if ((child & 0xffff) === 0xffff) continue;
        const fn = this.m.port(dev).child;
        if (!fn) continue;
        const bdf = `0000:${bus.toString(16).padStart(2, "0")}:00.0`;
        const ch = this.r(bus, 0, 0x0e, 1) & 0x7f;
        this.log.push(`pci ${bdf}: [${hex4(child & 0xffff)}:${hex4(child >>> 16)}] type ${ch.toString(16).padStart(2, "0")} class ${hex(this.r(bus, 0, 0x08, 4) >>> 8, 6)}`);
        found.push({ bus, port: dev, bdf, fn, bars: [], command: 0, vcpu: 0, vector: 0, irq: "none" });
      }
      this.check(found.length > 0 || this.m.ports.every((p) => !p.child), "a plugged function was not found behind its Root Port");
      return `${found.length} function(s) behind ${this.m.ports.length} Root Port(s)`;
    });
    return found;
  }

  /** __pci_read_base with decoding off, then assignment aligned to at least a page. */
  private assignBars(d: Found): string {
    const { bus } = d;
    const command = this.r(bus, 0, 0x04, 2);
    this.w(bus, 0, 0x04, 2, command & ~0x3);
    const bars: GuestBar[] = [];
    for (let i = 0; i < 6; i++) {
      const off = 0x10 + 4 * i;
      const orig = this.r(bus, 0, off, 4);
      this.w(bus, 0, off, 4, 0xffffffff);
      const sz = this.r(bus, 0, off, 4);
      this.w(bus, 0, off, 4, orig);
      if (sz === 0 || sz === 0xffffffff) continue;
      if (orig & 1) {
        const size = lowestBit(sz & 0xfffc);
        if (size) bars.push({ index: i, kind: "io", size, address: 0 });
        continue;
      }
      const is64 = ((orig >>> 1) & 3) === 2;
      let size = lowestBit(sz & 0xfffffff0);
      if (is64) {
        const hiOrig = this.r(bus, 0, off + 4, 4);
        this.w(bus, 0, off + 4, 4, 0xffffffff);
        const hi = this.r(bus, 0, off + 4, 4);
        this.w(bus, 0, off + 4, 4, hiOrig);
        if (!size) size = lowestBit(hi) * 2 ** 32;
      }
      if (size) bars.push({ index: i, kind: is64 ? "mem64" : "mem32", size, address: 0 });
      if (is64) i++;
    }
    // Largest first, as Linux's pbus_size_mem orders by alignment, so that big BARs do not fragment the windows.
    for (const b of [...bars].sort((x, y) => y.size - x.size)) {
      if (b.kind === "io") {
        b.address = alignUp(this.io, b.size);
        this.io = b.address + b.size;
        this.check(this.io <= 0x10000, "out of I/O space");
      } else {
        // Page-aligned, as Xen's hvmloader places pass-through BARs, so the platform maps whole pages.
        const align = Math.max(b.size, PAGE);
        if (b.kind === "mem64") {
          b.address = alignUp(this.mem64, align);
          this.mem64 = b.address + b.size;
        } else {
          b.address = alignUp(this.mem32, align);
          this.mem32 = b.address + Math.max(b.size, PAGE);
          this.check(this.mem32 <= this.m.ecam.start, "out of 32-bit MMIO space");
        }
      }
      this.writeBar(d, b);
      const kind = b.kind === "io" ? "io" : "mem";
      this.log.push(`pci ${d.bdf}: BAR ${b.index}: assigned [${kind} ${hex(b.address, b.kind === "io" ? 4 : 8)}-${hex(b.address + b.size - 1, b.kind === "io" ? 4 : 8)}${b.kind === "mem64" ? " 64bit" : ""}]`);
      this.check(this.readBar(d, b) === b.address, `BAR ${b.index} reads back ${hex(this.readBar(d, b))}, not ${hex(b.address)}`);
    }
    d.bars = bars;
    this.w(bus, 0, 0x04, 2, command);
    return bars.map((b) => `BAR ${b.index} ${b.kind} ${b.size} bytes at ${hex(b.address)}`).join("; ") || "no BARs";
  }

  private writeBar(d: Found, b: GuestBar): void {
    const off = 0x10 + 4 * b.index;
    this.w(d.bus, 0, off, 4, (b.address % 2 ** 32) >>> 0);
    if (b.kind === "mem64") this.w(d.bus, 0, off + 4, 4, Math.floor(b.address / 2 ** 32));
  }

  private readBar(d: Found, b: GuestBar): number {
    const off = 0x10 + 4 * b.index;
    const lo = this.r(d.bus, 0, off, 4);
    if (b.kind === "io") return (lo & 0xfffc) >>> 0;
    const hi = b.kind === "mem64" ? this.r(d.bus, 0, off + 4, 4) : 0;
    return hi * 2 ** 32 + ((lo & 0xfffffff0) >>> 0);
  }

  /** pci_enable_device + pci_set_master. */
  private enable(d: Found): string {
    const before = this.r(d.bus, 0, 0x04, 2);
    let bits = 0x4;
    for (const b of d.bars) bits |= b.kind === "io" ? 0x1 : 0x2;
    d.command = (before & ~0x400) | bits;
    this.w(d.bus, 0, 0x04, 2, d.command);
    const now = this.r(d.bus, 0, 0x04, 2);
    this.log.push(`pci ${d.bdf}: enabling device (${hex4(before)} -> ${hex4(now)})`);
    this.check((now & bits) === bits, `Command reads ${hex4(now)} after enabling ${hex4(bits)}`);
    this.check((readHardware(d.fn.host, 0x04, 2) & 0x4) !== 0, "Bus Master did not reach the host function");
    const mapped = this.m.barMap.list(d.fn).length;
    this.check(mapped === d.bars.length, `${mapped} of ${d.bars.length} BARs mapped by the platform`);
    return `Command ${hex4(now)}; ${mapped} BAR(s) mapped`;
  }

  /** MSI-X, else MSI, else INTx through the emulated interrupt controller. */
  private interrupt(d: Found, k: number): string {
    const cpus = this.m.cpus;
    d.vcpu = (k + 1) % cpus.count;
    d.vector = 0x41 + (k % 0x80);
    this.programInterrupt(d);
    if (d.irq === "none") return "no interrupt (no MSI, MSI-X or INTx pin)";
    const apic = cpus.cpus[d.vcpu].apic;
    const before = apic.delivered;
    const redirections = cpus.redirections;
    if (d.irq === "intx") {
      this.m.raiseIntx(d.fn);
      this.check((this.r(d.bus, 0, 0x06, 2) & 0x8) !== 0, "Status.Interrupt Status does not show the pending INTx");
    } else this.m.signal(d.fn, 0);
    this.check(apic.delivered === before + 1 && apic.vectors.at(-1) === d.vector, `vector ${hex(d.vector)} did not reach vCPU ${d.vcpu}`);
    this.check(cpus.redirections === redirections, "the interrupt was redirected through another vCPU");
    if (d.irq === "intx") {
      this.m.lowerIntx(d.fn);
      this.m.intc.eoi(this.r(d.bus, 0, 0x3c, 1));
      this.check((this.r(d.bus, 0, 0x06, 2) & 0x8) === 0, "Status.Interrupt Status stays set after the device released INTx");
    }
    apic.inService = -1;
    this.log.push(`pci ${d.bdf}: ${d.irq.toUpperCase()} vector ${hex(d.vector)} -> vCPU ${d.vcpu}: taken`);
    return `${d.irq} vector ${hex(d.vector)} on vCPU ${d.vcpu}, 0 redirections`;
  }

  private programInterrupt(d: Found): void {
    const { bus } = d;
    const msix = this.cap(d, 0x11);
    const msi = this.cap(d, 0x05);
    const address = msiAddressFor(d.vcpu);
    if (msix !== undefined) {
      const control = this.r(bus, 0, msix + 2, 2);
      const table = this.r(bus, 0, msix + 4, 4);
      const bar = d.bars.find((b) => b.index === (table & 7));
      if (bar && bar.kind !== "io") {
        // msix_capability_init: enable with every vector masked, program, then unmask.
        this.w(bus, 0, msix + 2, 2, control | 0xc000);
        const entry = bar.address + (table & ~7);
        this.m.mmioWrite(entry, 4, address);
        this.m.mmioWrite(entry + 4, 4, 0);
        this.m.mmioWrite(entry + 8, 4, d.vector);
        this.m.mmioWrite(entry + 12, 4, 0);
        this.w(bus, 0, msix + 2, 2, (control | 0x8000) & ~0x4000);
        this.check(this.m.mmioRead(entry + 8, 4) === d.vector, "the MSI-X table entry does not read back");
        d.irq = "msix";
        return;
      }
    }
    if (msi !== undefined) {
      const control = this.r(bus, 0, msi + 2, 2);
      const is64 = (control & 0x80) !== 0;
      this.w(bus, 0, msi + 4, 4, address);
      if (is64) this.w(bus, 0, msi + 8, 4, 0);
      this.w(bus, 0, msi + (is64 ? 0x0c : 0x08), 2, d.vector);
      this.w(bus, 0, msi + 2, 2, (control & ~0x70) | 1);
      d.irq = "msi";
      return;
    }
    const pin = this.r(bus, 0, 0x3d, 1);
    if (pin < 1 || pin > 4) return;
    // The platform's routing table (as ACPI _PRT would give it): slot swizzle onto the controller's lines.
    const line = intxLine(d.port, pin);
    this.m.intc.program(line, { vector: d.vector, destination: d.vcpu, masked: false });
    this.w(bus, 0, 0x3c, 1, line);
    this.w(bus, 0, 0x04, 2, this.r(bus, 0, 0x04, 2) & ~0x400);
    d.irq = "intx";
  }

  /** dma_map_single, and a device write into the page; a page not mapped must fault. */
  private dma(d: Found, k: number): string {
    const gpa = DMA_BASE + k * 0x10_0000;
    this.m.mapGuestMemory(d.fn, gpa, PAGE);
    const pattern = new TextEncoder().encode(`cfgvirt DMA ${d.bdf}`);
    const res = this.m.dmaWrite(d.fn, gpa + 0x80, pattern);
    this.check(res.ok, `DMA to a mapped page failed: ${res.ok ? "" : res.reason}`);
    const back = this.m.readGuestMemory(gpa + 0x80, pattern.length);
    this.check(back.every((b, i) => b === pattern[i]), "guest memory does not hold what the device wrote");
    const stray = this.m.dmaWrite(d.fn, gpa + PAGE, pattern);
    this.check(!stray.ok && stray.reason === "iommu fault", "DMA past the mapped page was not stopped by the IOMMU");
    this.log.push(`pci ${d.bdf}: DMA of ${pattern.length} bytes to ${hex(gpa + 0x80)}: ok; past the mapping: IOMMU fault`);
    return `device wrote ${pattern.length} bytes at IOVA ${hex(gpa + 0x80)}; the next page faulted`;
  }

  /** A scratch register by MMIO, and by port I/O where the function has an I/O BAR. */
  private touchBars(d: Found): string {
    const done: string[] = [];
    const avoid = this.msixRanges(d);
    const mem = d.bars.find((b) => b.kind !== "io");
    if (mem) {
      let off = 0;
      while (off + 4 <= Math.min(mem.size, PAGE) && avoid.some((r) => r.bar === mem.index && off + 4 > r.from && off < r.to)) off += 4;
      if (off + 4 <= Math.min(mem.size, PAGE)) {
        const value = (0x5a5a0000 | off) >>> 0;
        this.m.mmioWrite(mem.address + off, 4, value);
        this.check(this.m.mmioRead(mem.address + off, 4) === value, `MMIO BAR ${mem.index} + ${hex(off)} does not read back`);
        this.check(d.fn.hostBars?.read(mem.index, off, 4) === value, "the MMIO write did not reach the host's register");
        done.push(`MMIO BAR ${mem.index} + ${hex(off)} = ${hex(value)}`);
      }
    }
    const io = d.bars.find((b) => b.kind === "io");
    if (io) {
      this.m.ioWrite(io.address, 2, 0x0001);
      this.check(this.m.ioRead(io.address, 2) === 0x0001, `IN from port ${hex(io.address)} does not read back`);
      this.check(d.fn.hostBars?.read(io.index, 0, 2) === 0x0001, "the OUT did not reach the host's I/O register");
      this.m.ioWrite(io.address, 2, 0);
      done.push(`port I/O ${hex(io.address)} (BAR ${io.index})`);
    }
    this.log.push(`pci ${d.bdf}: registers: ${done.join(", ") || "none"}`);
    return done.join("; ") || "no BAR registers";
  }

  private msixRanges(d: Found): { bar: number; from: number; to: number }[] {
    const msix = this.cap(d, 0x11);
    if (msix === undefined) return [];
    const n = (this.r(d.bus, 0, msix + 2, 2) & 0x7ff) + 1;
    const t = this.r(d.bus, 0, msix + 4, 4);
    const p = this.r(d.bus, 0, msix + 8, 4);
    return [
      { bar: t & 7, from: t & ~7, to: (t & ~7) + n * 16 },
      { bar: p & 7, from: p & ~7, to: (p & ~7) + Math.ceil(n / 64) * 8 },
    ];
  }

  /** pci_set_power_state(D3hot), then D0; after a soft reset, pci_restore_state. */
  private d3hot(d: Found): string {
    const pm = this.cap(d, 0x01);
    if (pm === undefined) return "no Power Management capability";
    const pmcsr = this.r(d.bus, 0, pm + 4, 2);
    this.w(d.bus, 0, pm + 4, 2, (pmcsr & ~0x8003) | 3);
    this.check((this.r(d.bus, 0, pm + 4, 2) & 3) === 3, "PowerState does not read D3hot");
    this.w(d.bus, 0, pm + 4, 2, pmcsr & ~0x8003);
    this.check((this.r(d.bus, 0, pm + 4, 2) & 3) === 0, "PowerState does not read D0");
    const soft = (pmcsr & 0x8) === 0;
    if (soft) {
      const first = d.bars[0];
      if (first) this.check(this.readBar(d, first) === 0, "after D3hot -> D0 a BAR still holds an address");
      this.restore(d);
    }
    this.log.push(`pci ${d.bdf}: D3hot -> D0${soft ? " (reset: state restored)" : " (No_Soft_Reset)"}`);
    return soft ? "D3hot -> D0 reset the function; state restored" : "D3hot -> D0, state kept (No_Soft_Reset)";
  }

  /** pcie_flr / pci_af_flr where advertised; checks the host function was quiesced and restored. */
  private flr(d: Found): string {
    const pcie = this.cap(d, 0x10);
    const af = this.cap(d, 0x13);
    const viaPcie = pcie !== undefined && (this.r(d.bus, 0, pcie + 4, 4) & (1 << 28)) !== 0;
    const viaAf = !viaPcie && af !== undefined && (this.r(d.bus, 0, af + 3, 1) & 0x2) !== 0;
    if (!viaPcie && !viaAf) {
      this.log.push(`pci ${d.bdf}: no FLR capability: not reset`);
      return "not advertised (PCIe Device Capabilities and AF): skipped";
    }
    const hostBars = d.fn.bars.filter((b) => b.kind !== "rom" && b.kind !== "none" && b.size > 0).map((b) => hostBarAddress(d.fn, b));
    const resets = this.m.resetEvents.total;
    if (viaPcie) this.w(d.bus, 0, pcie! + 8, 2, this.r(d.bus, 0, pcie! + 8, 2) | 0x8000);
    else this.w(d.bus, 0, af! + 4, 1, 1);
    this.check(this.m.resetEvents.total === resets + 1, "the FLR did not reach the host function");
    this.check((readHardware(d.fn.host, 0x04, 2) & 0x4) === 0, "the host function kept Bus Master on");
    const after = d.fn.bars.filter((b) => b.kind !== "rom" && b.kind !== "none" && b.size > 0).map((b) => hostBarAddress(d.fn, b));
    this.check(after.every((a, i) => a === hostBars[i]), "the host function's BARs were not restored");
    for (const b of d.bars) this.check(this.readBar(d, b) === 0, `BAR ${b.index} reads ${hex(this.readBar(d, b))} after FLR, not its reset value`);
    this.check((this.r(d.bus, 0, 0x04, 2) & 0x7) === 0, "Command does not read its reset value after FLR");
    this.restore(d);
    this.log.push(`pci ${d.bdf}: ${viaPcie ? "PCIe" : "AF"} FLR: reset, state restored`);
    return `${viaPcie ? "PCIe" : "AF"} FLR: host quiesced, reset and restored; guest read reset values`;
  }

  /** pci_restore_state: BARs, Command, interrupts. */
  private restore(d: Found): void {
    for (const b of d.bars) this.writeBar(d, b);
    this.w(d.bus, 0, 0x04, 2, d.command);
    if (d.irq !== "none") this.programInterrupt(d);
    for (const b of d.bars) this.check(this.readBar(d, b) === b.address, `BAR ${b.index} was not restored`);
    this.check(this.m.barMap.list(d.fn).length === d.bars.length, "the platform did not map the restored BARs");
  }

  /** The guest lets go (pciehp: disable, remove), then the slot empties. */
  private unplug(d: Found): string {
    const msix = this.cap(d, 0x11);
    const msi = this.cap(d, 0x05);
    if (msix !== undefined) this.w(d.bus, 0, msix + 2, 2, this.r(d.bus, 0, msix + 2, 2) & ~0xc000);
    if (msi !== undefined) this.w(d.bus, 0, msi + 2, 2, this.r(d.bus, 0, msi + 2, 2) & ~1);
    this.w(d.bus, 0, 0x04, 2, 0);
    this.m.unplug(d.port);
    this.check((this.r(d.bus, 0, 0, 2) & 0xffff) === 0xffff, "the function still answers after unplug");
    this.check(this.m.barMap.list(d.fn).length === 0, "BAR mappings survived the unplug");
    const port = this.m.port(d.port);
    this.check((this.r(0, d.port, port.pcie + 0x1a, 2) & 0x40) === 0, "the slot still shows a device present");
    this.log.push(`pci ${d.bdf}: removed`);
    return "slot empty, no mapping left";
  }
}

function hex4(n: number): string {
  return n.toString(16).padStart(4, "0");
}
