// The simulated machine: what a hypervisor's device model does around the
// runtime. It owns the topology (host bridge, emulated Root Ports, one
// passed-through function per port), both configuration mechanisms, the
// IOMMU and host memory, and the interrupt paths, and it is the
// PlatformListener the standard hooks report MSI, MSI-X, power and reset
// events to.
import { join } from "node:path";
import { type DeviceSource, openDevice, openSource, type OpenOptions, readDeviceSource } from "../open-device.js";
import { examplesDir } from "../paths.js";
import type { PlatformListener } from "../runtime/hooks.js";
import type { LogSink } from "../runtime/log.js";
import type { VirtualDevice } from "../runtime/virtual-device.js";
import { allOnes, requesterId } from "./config-space.js";
import { ConfigMechanism1 } from "./config-mechanism1.js";
import { type DmaResult, dmaRead, dmaWrite } from "./dma.js";
import { Ecam, type EcamWindow } from "./ecam.js";
import { type ErrorMessage, guestMessage, type HostError, logHostError, receiveAtRootPort } from "./errors.js";
import { HostMemory } from "./host-memory.js";
import { slotChanged } from "./hotplug.js";
import { GuestInterrupts, HostVectors } from "./interrupts.js";
import { Iommu } from "./iommu.js";
import { type HostRoute, MsiMediator } from "./msi.js";
import { PassThroughFunction, type MsixEntry } from "./passthrough-function.js";
import { decidePowerState, type PowerDecision } from "./power.js";
import { TableCache } from "../runtime/table-cache.js";
import { RootPort } from "./root-port.js";
import { Topology } from "./topology.js";

export const HOST_BRIDGE_IMAGE = join(examplesDir, "platform", "host-bridge.rules");

export interface MachineOptions {
  /** How many Root Ports, at 00:01.0 upwards (default 4). */
  readonly rootPorts?: number;
  /** The ECAM window (default: base 0xE0000000, buses 0..255). */
  readonly ecam?: EcamWindow;
  /** Where every device's log lines go, prefixed with the device's name. */
  readonly log?: LogSink;
}

export interface PlugOptions extends Omit<OpenOptions, "listener" | "onHook" | "log"> {
  /** A name for logs and interrupt records (default: the source path's base name). */
  readonly name?: string;
  /** The function's host Requester ID: its IOMMU domain (default: a fresh one per plug). */
  readonly hostRequesterId?: number;
}

export class Machine {
  readonly topology: Topology;
  readonly cf8: ConfigMechanism1;
  readonly ecam: Ecam;
  readonly iommu = new Iommu();
  /** Identical functions plugged into the machine share their tables. */
  readonly tables = new TableCache();
  readonly memory = new HostMemory();
  readonly guestInterrupts = new GuestInterrupts();
  readonly hostVectors = new HostVectors<HostRoute>();
  readonly msi: MsiMediator;
  /** Power decisions, in order, for tests and logs. */
  readonly powerEvents: { fn: string; state: number; decision: PowerDecision }[] = [];
  private readonly byDevice = new Map<VirtualDevice, PassThroughFunction>();
  private nextHostRid = requesterId(0x10, 0, 0);
  private readonly sink: LogSink;

  constructor(opts: MachineOptions = {}) {
    this.sink = opts.log ?? (() => {});
    const bridge = openDevice(HOST_BRIDGE_IMAGE, { log: this.prefixed("00:00.0") });
    this.topology = new Topology(bridge);
    for (let i = 1; i <= (opts.rootPorts ?? 4); i++) {
      const name = `00:${i.toString(16).padStart(2, "0")}.0`;
      this.topology.addPort(new RootPort(i, this.guestInterrupts, this.prefixed(name), (port) => this.resetBelow(port)));
    }
    this.cf8 = new ConfigMechanism1(this.topology);
    this.ecam = new Ecam(opts.ecam ?? { base: 0xe000_0000, startBus: 0, endBus: 255 }, this.topology);
    this.msi = new MsiMediator(this.hostVectors, this.guestInterrupts);
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
    return ConfigMechanism1.claims(port) ? this.cf8.ioRead(port, size) : allOnes(size);
  }

  ioWrite(port: number, size: number, value: number): void {
    if (ConfigMechanism1.claims(port)) this.cf8.ioWrite(port, size, value);
  }

  mmioRead(address: number, size: number): number {
    return this.ecam.contains(address) ? this.ecam.read(address, size) : allOnes(size);
  }

  mmioWrite(address: number, size: number, value: number): void {
    if (this.ecam.contains(address)) this.ecam.write(address, size, value);
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
    this.msi.quiesce(fn);
    this.iommu.createDomain(domain);
    this.byDevice.set(opened.device, fn);
    port.child = fn;
    slotChanged(port, true);
    return fn;
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

  dmaWrite(fn: PassThroughFunction, iova: number, data: Uint8Array): DmaResult {
    return dmaWrite({ host: fn.host, domain: fn.domain, iommu: this.iommu, memory: this.memory }, iova, data);
  }

  dmaRead(fn: PassThroughFunction, iova: number, length: number): DmaResult {
    return dmaRead({ host: fn.host, domain: fn.domain, iommu: this.iommu, memory: this.memory }, iova, length);
  }

  /** A host-side error in the function: logged in its hardware, forwarded to the guest's Root Port. */
  hostError(fn: PassThroughFunction, err: HostError): { message: ErrorMessage | undefined; interrupted: boolean } {
    logHostError(fn, err);
    const message = guestMessage(fn, err);
    const port = this.topology.portOf(fn);
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
      const decision = decidePowerState(fn, state, (f) => this.msi.teardown(f));
      this.powerEvents.push({ fn: fn.name, state, decision });
    },
    functionReset: (device) => {
      const fn = this.byDevice.get(device);
      if (!fn) return;
      this.msi.teardown(fn);
      fn.powerState = 0;
    },
  };

  /** Secondary Bus Reset on a port: the function below loses its virtual state and its interrupt routes. */
  private resetBelow(port: RootPort): void {
    const fn = port.child;
    if (!fn) return;
    fn.device.resetShadow();
    this.msi.teardown(fn);
    fn.powerState = 0;
  }

  private release(fn: PassThroughFunction): void {
    this.msi.teardown(fn);
    this.iommu.destroyDomain(fn.domain);
    this.byDevice.delete(fn.device);
  }

  private freshRequesterId(): number {
    const rid = this.nextHostRid;
    this.nextHostRid += 8;
    return rid;
  }

  private prefixed(name: string): LogSink {
    return (line) => this.sink(`${name}: ${line}`);
  }
}
