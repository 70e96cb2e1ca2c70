// The simulated machine: what a hypervisor's device model does around the
// runtime. It owns the topology (host bridge, emulated Root Ports, one
// passed-through function per port), both configuration mechanisms, the
// IOMMU and host memory, and the interrupt paths, and it is the
// PlatformListener the standard hooks report MSI, MSI-X, power and reset
// events to. Beyond configuration space it decodes the guest's BARs (MMIO
// page by page, port I/O), delivers interrupts to vCPUs (MSI/MSI-X by
// destination, INTx through an emulated interrupt controller), resets the
// host function when the guest resets it, and keeps every per-event record
// bounded.
import { join } from "node:path";
import { CfgvirtError, error } from "../diag/diagnostic.js";
import { type DeviceSource, openSource, type OpenOptions, readDeviceSource } from "../open-device.js";
import { examplesDir } from "../paths.js";
import type { PlatformListener } from "../runtime/hooks.js";
import type { LogSink } from "../runtime/log.js";
import type { VirtualDevice } from "../runtime/virtual-device.js";
import { BarMap, hostBarAddress } from "./bar-map.js";
import { setHardwareBits, clearHardwareBits } from "./capabilities.js";
import { allOnes, requesterId } from "./config-space.js";
import { DeviceModelLog, type DeviceModelLogOptions } from "./dm-log.js";
import { HostBars, msixEntryDword, msixLocations, pbaDword } from "./host-bars.js";
import { InterruptController, intxLine } from "./intx.js";
import { PAGE_SIZE } from "./iommu.js";
import { capturePlatformState, captureResetImage, decodeBitsFor, quiesceHost, resetAndRestoreHost, resetGuestView, type ResetKind } from "./reset.js";
import { Ring } from "./ring.js";
import { checkAddressWrite, type UnsuitableUse } from "./unsuitable.js";
import { Vcpus } from "./vcpus.js";
import { ConfigMechanism1 } from "./config-mechanism1.js";
import { type DmaResult, dmaRead, dmaWrite } from "./dma.js";
import { Ecam, type EcamWindow } from "./ecam.js";
import { type ErrorMessage, forwardHeaderLog, guestMessage, type HostError, logHostError, receiveAtRootPort } from "./errors.js";
import { HostMemory } from "./host-memory.js";
import { slotChanged } from "./hotplug.js";
import { GuestInterrupts, HostVectors } from "./interrupts.js";
import { Iommu } from "./iommu.js";
import { type HostRoute, MsiMediator } from "./msi.js";
import { PassThroughFunction, type MsixEntry } from "./passthrough-function.js";
import { decidePowerState, type PowerDecision } from "./power.js";
import { TableCache } from "../runtime/table-cache.js";
import { platformTables } from "./platform-tables.js";
import { RootPort } from "./root-port.js";
import { Topology } from "./topology.js";

export const HOST_BRIDGE_IMAGE = join(examplesDir, "platform", "host-bridge.rules");
/** Read and compiled on the first Machine, as the root port's image is. */
let hostBridgeSource: DeviceSource | undefined;

export interface MachineOptions {
  /** How many Root Ports, at 00:01.0 upwards (default 4). */
  readonly rootPorts?: number;
  /** The ECAM window (default: base 0xE0000000, buses 0..255). */
  readonly ecam?: EcamWindow;
  /** Where the device model's log goes: `[YYYY-MM-DD HH:MM:SS PID] NAME: line`, rate-limited. */
  readonly log?: LogSink;
  readonly logOptions?: DeviceModelLogOptions;
  /** How many vCPUs the guest has (default 1). */
  readonly vcpus?: number;
}

export interface PlugOptions extends Omit<OpenOptions, "listener" | "onHook" | "log"> {
  /** A name for logs and interrupt records (default: the source path's base name). */
  readonly name?: string;
  /** The function's host Requester ID: its IOMMU domain (default: a fresh one per plug). */
  readonly hostRequesterId?: number;
  /**
   * Move a host memory BAR that is not page-aligned to a page-aligned address
   * before assignment (the talk's boot option); without it, or the device
   * file's `reassign`, such a BAR is refused (P001).
   */
  readonly reassign?: boolean;
}

/** Where reassigned host BARs go: above the dumps' usual firmware windows, below 4 GiB. */
const REASSIGN_BASE = 0xd000_0000;
/** Where guest RAM handed to devices for DMA lives on the host. */
const HOST_RAM_BASE = 0x1_0000_0000;

const hex = (n: number) => `0x${n.toString(16)}`;

/** The host's bus address of a function, from its dump's title line (`00:1d.7 ...`), else its Requester ID. */
function hostBdf(title: string, rid: number): string {
  const m = /^(?:([0-9a-f]{4}):)?([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])/i.exec(title);
  if (m) return `${m[1] ?? "0000"}:${m[2]}:${m[3]}.${m[4]}`.toLowerCase();
  const h = (n: number) => n.toString(16).padStart(2, "0");
  return `0000:${h(rid >> 8)}:${h((rid >> 3) & 0x1f)}.${rid & 7}`;
}

export class Machine {
  readonly topology: Topology;
  readonly cf8: ConfigMechanism1;
  readonly ecam: Ecam;
  readonly iommu = new Iommu();
  /** Identical functions plugged into the machine share their tables. */
  readonly tables = new TableCache();
  readonly memory = new HostMemory();
  readonly cpus: Vcpus;
  readonly guestInterrupts: GuestInterrupts;
  /** The emulated interrupt controller INTx goes through. */
  readonly intc: InterruptController;
  readonly hostVectors = new HostVectors<HostRoute>();
  readonly msi: MsiMediator;
  /** The guest's BARs in its address spaces. */
  readonly barMap = new BarMap();
  /** Power decisions, newest last (bounded). */
  readonly powerEvents = new Ring<{ fn: string; state: number; decision: PowerDecision }>(256);
  /** Resets that reached a host function, newest last (bounded). */
  readonly resetEvents = new Ring<{ fn: string; kind: ResetKind }>(64);
  /** Guest-physical addresses handed to a device for non-DMA use (unsuitable.ts), newest last (bounded). */
  readonly unsuitable = new Ring<UnsuitableUse>(64);
  readonly log: DeviceModelLog;
  private readonly byDevice = new Map<VirtualDevice, PassThroughFunction>();
  private nextHostRid = requesterId(0x10, 0, 0);
  private nextReassign = REASSIGN_BASE;
  private nextHostRam = HOST_RAM_BASE;
  /** Guest RAM pages the guest handed out for DMA: guest page -> host page. */
  private readonly guestRam = new Map<number, number>();

  constructor(opts: MachineOptions = {}) {
    this.log = new DeviceModelLog(opts.log ?? (() => {}), opts.logOptions);
    this.cpus = new Vcpus(opts.vcpus ?? 1);
    this.guestInterrupts = new GuestInterrupts(this.cpus);
    this.intc = new InterruptController(this.cpus);
    hostBridgeSource ??= readDeviceSource(HOST_BRIDGE_IMAGE);
    const bridge = openSource(hostBridgeSource, { log: this.prefixed("00:00.0"), tableCache: platformTables });
    this.topology = new Topology(bridge);
    for (let i = 1; i <= (opts.rootPorts ?? 4); i++) {
      const name = `00:${i.toString(16).padStart(2, "0")}.0`;
      this.topology.addPort(new RootPort(i, this.guestInterrupts, this.prefixed(name), (port) => this.resetBelow(port)));
    }
    this.cf8 = new ConfigMechanism1(this.topology);
    this.ecam = new Ecam(opts.ecam ?? { base: 0xe000_0000, startBus: 0, endBus: 255 }, this.topology);
    this.msi = new MsiMediator(this.hostVectors, this.guestInterrupts, (fn) => this.raiseIntx(fn));
  }

  get ports(): readonly RootPort[] {
    return this.topology.ports;
  }

  port(deviceNumber: number): RootPort {
    const p = this.topology.ports.find((x) => x.deviceNumber === deviceNumber);
    if (!p) throw new RangeError(`no root port at 00:${deviceNumber.toString(16)}.0`);
    return p;
  }

  // ---- guest accesses -----------------------------------------------------

  ioRead(port: number, size: number): number {
    if (ConfigMechanism1.claims(port)) return this.cf8.ioRead(port, size);
    const r = this.barMap.findIo(port);
    if (!r || !validSize(size)) return allOnes(size);
    return r.fn.hostBars?.read(r.bar, port - r.guestBase, size) ?? allOnes(size);
  }

  ioWrite(port: number, size: number, value: number): void {
    if (ConfigMechanism1.claims(port)) {
      this.cf8.ioWrite(port, size, value);
      return;
    }
    const r = this.barMap.findIo(port);
    if (!r || !validSize(size)) return;
    r.fn.hostBars?.write(r.bar, port - r.guestBase, size, value);
    this.noteRegisterWrite(r.fn, r.bar, port - r.guestBase, size, value);
  }

  mmioRead(address: number, size: number): number {
    if (this.ecam.contains(address)) return this.ecam.read(address, size);
    const r = this.barMap.findMem(address);
    if (!r || !validSize(size)) return allOnes(size);
    const fn = r.fn;
    const offset = address - r.guestBase;
    const loc = fn.msixLocation;
    if (loc && loc.table.bar === r.bar && offset >= loc.table.offset && offset + size <= loc.table.offset + loc.table.size) {
      const o = offset - loc.table.offset;
      return pick(msixEntryDword(fn.guestMsixTable[o >> 4], (o >> 2) & 3), o, size);
    }
    if (loc && loc.pba.bar === r.bar && offset >= loc.pba.offset && offset + size <= loc.pba.offset + loc.pba.size) {
      const o = offset - loc.pba.offset;
      return pick(pbaDword(fn.guestPending, o >> 2), o, size);
    }
    return fn.hostBars?.read(r.bar, offset, size) ?? allOnes(size);
  }

  mmioWrite(address: number, size: number, value: number): void {
    if (this.ecam.contains(address)) {
      this.ecam.write(address, size, value);
      return;
    }
    const r = this.barMap.findMem(address);
    if (!r || !validSize(size)) return;
    const fn = r.fn;
    const offset = address - r.guestBase;
    const loc = fn.msixLocation;
    if (loc && loc.table.bar === r.bar && offset >= loc.table.offset && offset + size <= loc.table.offset + loc.table.size) {
      this.writeMsixTable(fn, offset - loc.table.offset, size, value);
      return;
    }
    // The PBA is read-only (PCI LB 3.0 §6.8.2.10): writes are dropped.
    if (loc && loc.pba.bar === r.bar && offset >= loc.pba.offset && offset + size <= loc.pba.offset + loc.pba.size) return;
    fn.hostBars?.write(r.bar, offset, size, value);
    this.noteRegisterWrite(fn, r.bar, offset, size, value);
  }

  /** The guest writes its MSI-X table through the BAR: emulated, never the device's own table. */
  private writeMsixTable(fn: PassThroughFunction, o: number, size: number, value: number): void {
    const index = o >> 4;
    const e = fn.guestMsixTable[index];
    if (!e) return;
    const dword = (o >> 2) & 3;
    const shift = (o & 3) * 8;
    const mask = (size === 4 ? 0xffffffff : ((1 << (size * 8)) - 1) << shift) >>> 0;
    const v = ((msixEntryDword(e, dword) & ~mask) | ((value << shift) & mask)) >>> 0;
    if (dword === 0) this.msi.writeGuestMsixEntry(fn, index, { address: (e.address & ~0xffff_ffffn) | BigInt((v & 0xffff_fffc) >>> 0) });
    else if (dword === 1) this.msi.writeGuestMsixEntry(fn, index, { address: (e.address & 0xffff_ffffn) | (BigInt(v) << 32n) });
    else if (dword === 2) this.msi.writeGuestMsixEntry(fn, index, { data: v });
    else this.msi.writeGuestMsixEntry(fn, index, { masked: (v & 1) !== 0 });
  }

  /** A guest register write through a BAR: the unsuitable-device heuristic looks at its value. */
  private noteRegisterWrite(fn: PassThroughFunction, bar: number, offset: number, size: number, value: number): void {
    if (size !== 4 || value >>> 0 < PAGE_SIZE) return;
    const found = checkAddressWrite(fn, this.barMap.list(fn), bar, offset, size, value);
    if (!found) return;
    this.unsuitable.push(found);
    if (!fn.unsuitable) {
      fn.unsuitable = true;
      this.log.line(
        `${fn.name}: guest wrote guest-physical address ${hex(found.value)} (inside its own BAR ${found.target}) to BAR ${bar} + ${hex(offset)}: ` +
          "a device that uses it for anything but DMA reaches memory no IOMMU translates; unsuitable for pass-through",
      );
    }
  }

  // ---- hot-plug -----------------------------------------------------------

  /** Put a function in a port's slot (from a dump, a config file, a rule image, or a source). */
  plug(portNumber: number, from: string | DeviceSource, opts: PlugOptions = {}): PassThroughFunction {
    const port = this.port(portNumber);
    if (port.child) throw new RangeError(`${port.name}: the slot is occupied`);
    const source = typeof from === "string" ? readDeviceSource(from, opts.rules ?? []) : from;
    const name = opts.name ?? source.path.replace(/^.*\//, "").replace(/\.[^.]*$/, "");
    const opened = openSource(source, { ...opts, listener: this.listener, log: this.prefixed(name), tableCache: this.tables });
    const domain = opts.hostRequesterId ?? this.freshRequesterId();
    const fn = new PassThroughFunction(name, opened, domain);
    this.assignHostBars(fn, opts.reassign === true || opened.tables.policy.reassign === true, hostBdf(source.title, domain));
    this.msi.quiesce(fn);
    // As pci_enable_device() does for the host driver: decode what the BARs need; the platform owns these bits.
    const command = fn.host.read32(1) & 0xffff;
    fn.host.write(0x04, 2, (command & ~0x400) | decodeBitsFor(fn.bars));
    fn.hostBars = new HostBars(fn, fn.bars);
    fn.msixLocation = msixLocations(fn);
    fn.platformState = capturePlatformState(fn, fn.bars);
    fn.resetImage = captureResetImage(fn, fn.bars);
    const pin = fn.host.read32(15) >>> 8 & 0xff;
    fn.intxLine = pin >= 1 && pin <= 4 ? intxLine(portNumber, pin) : -1;
    fn.afterConfigWrite = () => this.configWritten(fn);
    this.iommu.createDomain(domain);
    this.byDevice.set(opened.device, fn);
    port.child = fn;
    this.configWritten(fn);
    slotChanged(port, true);
    return fn;
  }

  /**
   * Refuse a host memory BAR that is not page-aligned (the talk: the guest's
   * pages cannot map it), or, when asked to, move it to a page-aligned host
   * address first, as the talk's domain 0 boot option has Linux do.
   */
  private assignHostBars(fn: PassThroughFunction, reassign: boolean, bdf: string): void {
    for (const b of fn.bars) {
      if ((b.kind !== "mem32" && b.kind !== "mem64") || b.size === 0) continue;
      const at = hostBarAddress(fn, b);
      if (at % PAGE_SIZE === 0) continue;
      if (!reassign) {
        throw new CfgvirtError([
          error("P001", `pci: ${bdf}: non-page-aligned MMIO BAR found: BAR ${b.index} at ${hex(at)} (${b.size} bytes)`, undefined,
            "reassign it to a page-aligned address: `cfgvirt boot --reassign`, PlugOptions.reassign, or `reassign` in the device file"),
        ]);
      }
      const align = Math.max(b.size, PAGE_SIZE);
      const to = Math.ceil(this.nextReassign / align) * align;
      this.nextReassign = to + align;
      const lo = fn.host.read32(4 + b.index);
      fn.host.write(0x10 + 4 * b.index, 4, ((to % 2 ** 32) | (lo & 0xf)) >>> 0);
      if (b.kind === "mem64") fn.host.write(0x14 + 4 * b.index, 4, Math.floor(to / 2 ** 32));
      this.log.line(`pci: ${bdf}: BAR ${b.index} reassigned from ${hex(at)} to ${hex(to)} (page-aligned)`);
    }
  }

  /** After the guest wrote Command or a BAR: remap its BARs (old mappings first), re-gate INTx. */
  private configWritten(fn: PassThroughFunction): void {
    const loc = fn.msixLocation;
    this.barMap.remap(fn, fn.bars, loc ? [loc.table, loc.pba] : []);
    this.syncIntx(fn);
  }

  /** Orderly removal (after the guest let go, or to finish a surprise removal). */
  unplug(portNumber: number): void {
    const port = this.port(portNumber);
    const fn = port.child;
    if (!fn) return;
    this.release(fn);
    port.child = undefined;
    if (!fn.host.removed) slotChanged(port, false);
  }

  /**
   * The device vanishes without warning: it reads all-ones from now on, the
   * slot shows it gone, and the platform drops its routes and DMA domain. The
   * function stays behind the port, so the guest's accesses reach it (and read
   * all-ones where the rules pass the hardware through) until unplug().
   */
  surpriseRemove(portNumber: number): void {
    const port = this.port(portNumber);
    const fn = port.child;
    if (!fn) return;
    fn.host.removed = true;
    this.release(fn);
    slotChanged(port, false);
  }

  // ---- the device's side --------------------------------------------------

  /** The device raises interrupt `vector` (MSI message number or MSI-X entry). */
  signal(fn: PassThroughFunction, vector = 0): { address: number; data: number } | undefined {
    return this.msi.sendFromDevice(fn, vector);
  }

  /** The device pulls its INTx pin: Status.Interrupt Status sets; the guest sees it unless it set Interrupt Disable. */
  raiseIntx(fn: PassThroughFunction): void {
    if (fn.host.removed) return;
    setHardwareBits(fn.host, 0x06, 0x08);
    fn.intxPending = true;
    this.syncIntx(fn);
  }

  /** The device releases its INTx pin (its driver serviced it). */
  lowerIntx(fn: PassThroughFunction): void {
    if (!fn.host.removed) clearHardwareBits(fn.host, 0x06, 0x08);
    fn.intxPending = false;
    this.syncIntx(fn);
  }

  /** Drive the function's line from its pin and the guest's (virtual) Interrupt Disable. */
  private syncIntx(fn: PassThroughFunction): void {
    if (fn.intxLine < 0) return;
    const disabled = (fn.device.read(0x04, 2) & 0x400) !== 0;
    if (fn.intxPending && !disabled) {
      if (!this.intc.level(fn.intxLine)) this.guestInterrupts.assertIntx(fn.name);
      this.intc.assert(fn.intxLine, fn.name);
    } else this.intc.deassert(fn.intxLine, fn.name);
  }

  /**
   * The guest hands guest RAM to a device for DMA: host pages back it and the
   * function's IOMMU domain maps it (a hypervisor maps all guest RAM; this
   * maps only what is asked, so that faults stay observable).
   */
  mapGuestMemory(fn: PassThroughFunction, gpa: number, length: number, opts: { writable?: boolean } = {}): void {
    for (let off = 0; off < length; off += PAGE_SIZE) {
      const page = Math.floor((gpa + off) / PAGE_SIZE);
      let host = this.guestRam.get(page);
      if (host === undefined) {
        host = this.nextHostRam / PAGE_SIZE;
        this.nextHostRam += PAGE_SIZE;
        this.guestRam.set(page, host);
      }
      this.iommu.map(fn.domain, page * PAGE_SIZE, host * PAGE_SIZE, PAGE_SIZE, opts);
    }
  }

  /** The guest reads its own RAM (pages it never handed out read 0). */
  readGuestMemory(gpa: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; ) {
      const page = Math.floor((gpa + i) / PAGE_SIZE);
      const within = (gpa + i) % PAGE_SIZE;
      const n = Math.min(length - i, PAGE_SIZE - within);
      const host = this.guestRam.get(page);
      if (host !== undefined) out.set(this.memory.read(host * PAGE_SIZE + within, n), i);
      i += n;
    }
    return out;
  }

  dmaWrite(fn: PassThroughFunction, iova: number, data: Uint8Array): DmaResult {
    return dmaWrite({ host: fn.host, domain: fn.domain, iommu: this.iommu, memory: this.memory }, iova, data);
  }

  dmaRead(fn: PassThroughFunction, iova: number, length: number): DmaResult {
    return dmaRead({ host: fn.host, domain: fn.domain, iommu: this.iommu, memory: this.memory }, iova, length);
  }

  /** A host-side error in the function: logged in its hardware, forwarded to the guest's Root Port. */
  hostError(fn: PassThroughFunction, err: HostError): { message: ErrorMessage | undefined; interrupted: boolean } {
    logHostError(fn, err);
    const port = this.topology.portOf(fn);
    if (err.kind === "uncorrectable") forwardHeaderLog(fn, port, this.barMap.list(fn));
    const message = guestMessage(fn, err);
    const interrupted = message !== undefined && port !== undefined ? receiveAtRootPort(port, message) : false;
    return { message, interrupted };
  }

  /** The guest wrote an MSI-X table entry in the function's BAR (trapped by the platform). */
  writeMsixEntry(fn: PassThroughFunction, index: number, entry: Partial<MsixEntry>): void {
    this.msi.writeGuestMsixEntry(fn, index, entry);
  }

  // ---- the PlatformListener the standard hooks call -----------------------

  readonly listener: PlatformListener = {
    msiEnable: (device, _dword, enabled) => {
      const fn = this.byDevice.get(device);
      if (fn && !fn.host.removed) this.msi.msiEnable(fn, enabled);
    },
    msixControl: (device, _dword, enabled, masked) => {
      const fn = this.byDevice.get(device);
      if (fn && !fn.host.removed) this.msi.msixControl(fn, enabled, masked);
    },
    powerState: (device, _dword, state) => {
      const fn = this.byDevice.get(device);
      if (!fn) return;
      const decision = decidePowerState(fn, state, (f) => this.resetFunction(f, "pm"));
      this.powerEvents.push({ fn: fn.name, state, decision });
    },
    functionReset: (device) => {
      const fn = this.byDevice.get(device);
      if (fn) this.resetFunction(fn, "flr");
    },
    barWritten: () => {
      // Handled after the whole write by the function's config path (configWritten), which also sees Command.
    },
  };

  /** Secondary Bus Reset on a port: the function below is reset, host and guest view. */
  private resetBelow(port: RootPort): void {
    if (port.child) this.resetFunction(port.child, "sbr");
  }

  /** A reset that reaches the device (reset.ts): quiesce, reset, restore what the platform owns, reset values for the guest. */
  resetFunction(fn: PassThroughFunction, kind: ResetKind): void {
    this.msi.teardown(fn);
    this.barMap.unmap(fn);
    fn.intxPending = false;
    if (fn.intxLine >= 0) this.intc.deassert(fn.intxLine, fn.name);
    quiesceHost(fn);
    if (fn.resetImage && fn.platformState) resetAndRestoreHost(fn, fn.resetImage, fn.platformState);
    resetGuestView(fn, fn.bars);
    this.resetEvents.push({ fn: fn.name, kind });
    this.configWritten(fn);
  }

  private release(fn: PassThroughFunction): void {
    this.msi.teardown(fn);
    this.barMap.unmap(fn);
    fn.intxPending = false;
    if (fn.intxLine >= 0) this.intc.deassert(fn.intxLine, fn.name);
    this.iommu.destroyDomain(fn.domain);
    this.byDevice.delete(fn.device);
  }

  private freshRequesterId(): number {
    const rid = this.nextHostRid;
    this.nextHostRid += 8;
    return rid;
  }

  private prefixed(name: string): LogSink {
    return (line) => this.log.line(`${name}: ${line}`);
  }
}

const validSize = (size: number): boolean => size === 1 || size === 2 || size === 4;

/** `size` bytes at byte `o & 3` of a dword. */
function pick(dword: number, o: number, size: number): number {
  const v = dword >>> ((o & 3) * 8);
  return size === 4 ? v >>> 0 : v & ((1 << (size * 8)) - 1);
}
