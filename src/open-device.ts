// Open a device for the tools: a config dump, a raw config file, or a rule file
// holding an `image` (the example devices), attached to the rules and ready for
// trapped accesses.
import { existsSync, readdirSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { isCompiledJsonPath } from "./compile/compiled-json.js";
import { compileRules, type CompiledRules } from "./compile/pipeline.js";
import { CfgvirtError, error } from "./diag/diagnostic.js";
import { type DumpSelection, type InputSizes, readConfigFile } from "./host/dump.js";
import { canonicalAddress, readSysfsDevice } from "./host/sysfs.js";
import { buildImage } from "./compile/image.js";
import type { HostDevice } from "./host/host.js";
import { SimulatedDevice } from "./host/simulated.js";
import { virtualFunctionHost } from "./host/virtual-function.js";
import { examplesDir } from "./paths.js";
import { type AttachOptions, assertPassThroughable, attach, type DeviceTables } from "./runtime/attach.js";
import { type PlatformListener, standardHooks } from "./runtime/hooks.js";
import { DeviceLog, type LogSink } from "./runtime/log.js";
import type { TableCache } from "./runtime/table-cache.js";
import { type HookHandler, VirtualDevice } from "./runtime/virtual-device.js";

export interface DeviceSource {
  readonly path: string;
  /** A line naming the device, for the lspci header line. */
  readonly title: string;
  readonly bytes: Uint8Array;
  readonly barSizes: readonly (number | undefined)[];
  readonly romSize: number | undefined;
  readonly vpd: Uint8Array | undefined;
  /** BAR and ROM sizes the input itself states (lspci `[size=]` lines, sysfs `resource`). */
  readonly inputSizes?: InputSizes;
  /** The rules: the standard library plus the device's own file when it is a rule file. */
  readonly compiled: CompiledRules;
}

export interface OpenedDevice {
  readonly source: DeviceSource;
  readonly host: SimulatedDevice;
  readonly tables: DeviceTables;
  readonly device: VirtualDevice;
}

/** The example devices shipped with the project, by path. */
export function exampleDevices(): string[] {
  return readdirSync(examplesDir).filter((f) => f.endsWith(".rules")).sort().map((f) => join(examplesDir, f));
}

export const DEFAULT_EXAMPLE = join(examplesDir, "nic.rules");

/**
 * Read a device: a dump (a file, `-` for standard input, or a pipe), a binary
 * config file, a live device's PCI address (`0000:00:03.0`, from sysfs), or a
 * rule file with an `image`. `select` picks one device of a multi-device dump.
 */
export function readDeviceSource(path: string, extraRules: readonly string[] = [], select: DumpSelection = {}): DeviceSource {
  const address = canonicalAddress(path);
  // A sysfs `config` named by its path is read as the live device it is (short-read check, `resource` sizes).
  const sysfsDir = basename(path) === "config" && canonicalAddress(basename(dirname(path))) !== undefined && existsSync(join(dirname(path), "resource")) ? dirname(path) : undefined;
  if ((address !== undefined && !existsSync(path)) || sysfsDir !== undefined) {
    const dump = sysfsDir !== undefined ? readSysfsDevice(basename(sysfsDir), dirname(sysfsDir)) : readSysfsDevice(address!);
    return { path: dump.path, title: dump.title ?? dump.path, bytes: dump.bytes, barSizes: [], romSize: undefined, vpd: undefined, inputSizes: dump.sizes, compiled: compileRules(extraRules) };
  }
  if (path.endsWith(".rules")) {
    // With compiled JSON rules (`cfgvirt compile --json examples/nic.rules`), the image comes from the file and the rules from the JSON.
    const fromJson = extraRules.some(isCompiledJsonPath);
    const imageRules = compileRules(fromJson ? [path] : [...extraRules, path]);
    const compiled = fromJson ? compileRules(extraRules) : imageRules;
    const image = imageRules.ruleSet.images.find((i) => resolve(i.span.source.path) === resolve(path));
    if (!image) throw new CfgvirtError([error("E118", `${path} holds no \`image\` block`, undefined, "an example device file describes its configuration with `image \"name\" { ... }`")]);
    const built = buildImage(image, imageRules);
    const id = (o: number) => (built.bytes[o] | (built.bytes[o + 1] << 8)).toString(16).padStart(4, "0");
    return {
      path,
      title: `00:00.0 Device ${id(0)}:${id(2)} (${built.name})`,
      bytes: built.bytes,
      barSizes: built.barSizes,
      romSize: built.romSize,
      vpd: built.vpd,
      compiled,
    };
  }
  const dump = readConfigFile(path, select);
  const compiled = compileRules(extraRules);
  return {
    path,
    title: dump.title ?? "00:00.0 Device",
    bytes: dump.bytes,
    barSizes: [],
    romSize: undefined,
    vpd: undefined,
    inputSizes: dump.sizes,
    compiled,
  };
}

export interface OpenOptions extends AttachOptions {
  readonly rules?: readonly string[];
  /** Which device of a multi-device dump (lspci's `-s` and `-d`). */
  readonly select?: DumpSelection;
  readonly log?: LogSink;
  /** Replaces the standard hooks entirely. */
  readonly onHook?: HookHandler;
  /** Told about MSI/MSI-X/power/FLR/BAR events by the standard hooks. */
  readonly listener?: PlatformListener;
  /** Share tables with identical devices opened through the same cache. */
  readonly tableCache?: TableCache;
  /**
   * The device is an SR-IOV virtual function of this physical function: its IDs
   * and BARs are the host kernel's, taken from the PF (host/virtual-function.ts).
   */
  readonly physicalFunction?: { readonly source: DeviceSource; readonly index: number };
}

/** An example image's `bar`/`rom` sizes: sizes its input carries (after --bar and the device file). */
export function sourceSizes(source: DeviceSource): InputSizes | undefined {
  if (!source.barSizes.some((s) => s !== undefined) && source.romSize === undefined) return undefined;
  return { bars: source.barSizes, rom: source.romSize, source: `image in ${source.path}` };
}

/** Attach a device source to its rules; refuses bridges unless told otherwise. */
export function openSource(source: DeviceSource, opts: OpenOptions = {}): OpenedDevice {
  const host = new SimulatedDevice(source.bytes);
  if (!opts.allowBridge) assertPassThroughable(host, source.path);
  // Sizes the input carries: a dump's [size=] lines or sysfs resource, else an example image's own.
  const attachOpts = { ...opts, inputSizes: opts.inputSizes ?? source.inputSizes ?? sourceSizes(source) };
  const pf = opts.physicalFunction;
  const vfBarSizes = Array.from({ length: 6 }, (_, i) => opts.barSizes?.[i] ?? attachOpts.inputSizes?.bars[i]);
  const seen: HostDevice = pf ? virtualFunctionHost(host, new SimulatedDevice(pf.source.bytes), { index: pf.index, barSizes: vfBarSizes }) : host;
  const tables = opts.tableCache ? opts.tableCache.attach(source.compiled, seen, attachOpts) : attach(source.compiled, seen, attachOpts);
  host.setBehaviour(tables.hardware);
  const onHook = opts.onHook ?? standardHooks({ vpd: source.vpd, listener: opts.listener });
  const device = new VirtualDevice(tables, seen, new DeviceLog(opts.log ?? (() => {})), onHook);
  return { source, host, tables, device };
}

export function openDevice(path: string, opts: OpenOptions = {}): OpenedDevice {
  return openSource(readDeviceSource(path, opts.rules ?? [], opts.select), opts);
}

/** The guest's view of the whole configuration space, byte by byte. */
export function guestView(device: VirtualDevice, size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i += 4) {
    const v = device.read(i, 4);
    out[i] = v & 0xff;
    out[i + 1] = (v >>> 8) & 0xff;
    out[i + 2] = (v >>> 16) & 0xff;
    out[i + 3] = v >>> 24;
  }
  return out;
}
