// An emulated PCI Express Root Port: a fully virtual Type 1 function built from
// examples/platform/root-port.rules and attached with allowBridge. Its
// "hardware" is the platform's own SimulatedDevice, so the platform sets the
// bits hardware would set (Presence Detect State, Data Link Layer Link Active,
// error status) there, and the event bits the rules keep virtual (Slot Status
// changes, Root Error Status, Secondary Status) in the guest's virtual copy.
//
// The guest programs the secondary and subordinate bus numbers (virtual, in the
// Type 1 header); routing reads them from the guest's own view.
import { join } from "node:path";
import { type DeviceSource, openSource, readDeviceSource, type OpenedDevice } from "../open-device.js";
import { examplesDir } from "../paths.js";
import type { LogSink } from "../runtime/log.js";
import { capabilityOffset, findCapabilityInBytes } from "./capabilities.js";
import { platformTables } from "./platform-tables.js";
import type { GuestInterrupts } from "./interrupts.js";
import type { PassThroughFunction } from "./passthrough-function.js";

export const ROOT_PORT_IMAGE = join(examplesDir, "platform", "root-port.rules");

let baseImage: DeviceSource | undefined;

/** The root port image with its slot and port number patched in. */
export function rootPortSourceFor(slot: number): DeviceSource {
  baseImage ??= readDeviceSource(ROOT_PORT_IMAGE);
  const bytes = Uint8Array.from(baseImage.bytes);
  const pcie = findCapabilityInBytes(bytes, 0x10);
  if (pcie === undefined) throw new Error(`${ROOT_PORT_IMAGE}: the root port image has no PCI Express capability`);
  // Link Capabilities Port Number [31:24]; Slot Capabilities Physical Slot Number [31:19].
  bytes[pcie + 0x0c + 3] = slot & 0xff;
  const slotCaps = bytes[pcie + 0x14 + 2] | (bytes[pcie + 0x14 + 3] << 8);
  const patched = (slotCaps & 0x0007) | ((slot & 0x1fff) << 3);
  bytes[pcie + 0x14 + 2] = patched & 0xff;
  bytes[pcie + 0x14 + 3] = patched >> 8;
  return { ...baseImage, bytes, title: `00:${slot.toString(16).padStart(2, "0")}.0 PCI bridge: cfgvirt root port` };
}

/** Register offsets within the PCI Express capability and AER. */
export const PCIE = { linkStatus: 0x12, slotControl: 0x18, slotStatus: 0x1a, rootControl: 0x1c, rootStatus: 0x20 } as const;
export const SLOT_CONTROL = { presenceDetectChangedEnable: 1 << 3, hotPlugInterruptEnable: 1 << 5, dllStateChangedEnable: 1 << 12 } as const;
export const SLOT_STATUS = { presenceDetectChanged: 1 << 3, presenceDetectState: 1 << 6, dllStateChanged: 1 << 8 } as const;
export const LINK_STATUS = { dllLinkActive: 1 << 13 } as const;
export const AER = { uncorrectableStatus: 0x04, uncorrectableMask: 0x08, uncorrectableSeverity: 0x0c, correctableStatus: 0x10, correctableMask: 0x14, control: 0x18, headerLog: 0x1c, rootCommand: 0x2c, rootStatus: 0x30, errorSource: 0x34 } as const;

export class RootPort {
  readonly opened: OpenedDevice;
  readonly pcie: number;
  readonly msi: number | undefined;
  readonly aer: number | undefined;
  /** The passed-through function in the slot, if any. */
  child: PassThroughFunction | undefined;

  constructor(
    /** Device number on bus 0; also the slot and port number. */
    readonly deviceNumber: number,
    private readonly guest: GuestInterrupts,
    log?: LogSink,
    /** Called when the guest sets Secondary Bus Reset in this port's Bridge Control. */
    onSecondaryBusReset: (port: RootPort) => void = () => {},
  ) {
    this.opened = openSource(rootPortSourceFor(deviceNumber), {
      allowBridge: true,
      log,
      tableCache: platformTables,
      listener: { secondaryBusReset: () => onSecondaryBusReset(this) },
    });
    const pcie = capabilityOffset(this.opened.tables, "pcie");
    if (pcie === undefined) throw new Error("root port: PCI Express capability not visible");
    this.pcie = pcie;
    this.msi = capabilityOffset(this.opened.tables, "msi");
    this.aer = capabilityOffset(this.opened.tables, "aer");
  }

  get name(): string {
    return `root port 00:${this.deviceNumber.toString(16).padStart(2, "0")}.0`;
  }

  get device() {
    return this.opened.device;
  }

  get host() {
    return this.opened.host;
  }

  /** The guest-programmed bus numbers (0 until the guest enumerates). */
  get secondaryBus(): number {
    return this.device.read(0x19, 1);
  }

  get subordinateBus(): number {
    return this.device.read(0x1a, 1);
  }

  /** Whether a bus number lies behind this port: `secondary` for its own link, `below` for deeper buses. */
  claims(bus: number): "secondary" | "below" | undefined {
    const sec = this.secondaryBus;
    if (sec === 0) return undefined;
    if (bus === sec) return "secondary";
    if (bus > sec && bus <= this.subordinateBus) return "below";
    return undefined;
  }

  /** The Requester ID the guest knows the function in the slot by: secondary bus, device 0, function 0. */
  get childRequesterId(): number {
    return (this.secondaryBus & 0xff) << 8;
  }

  /**
   * The port's own interrupt (hot-plug, root errors): MSI at the address/data
   * the guest programmed in the port's virtual capability, else INTx.
   */
  signal(): void {
    if (this.msi !== undefined) {
      const d = this.device;
      const control = d.read(this.msi + 2, 2);
      if (control & 1) {
        const addr64 = (control & 0x80) !== 0;
        const address = (BigInt(addr64 ? d.read(this.msi + 8, 4) : 0) << 32n) | BigInt(d.read(this.msi + 4, 4));
        this.guest.deliver(this.name, address, d.read(this.msi + (addr64 ? 0x0c : 0x08), 2));
        return;
      }
    }
    if ((this.device.read(0x04, 2) & 0x400) === 0) this.guest.assertIntx(this.name);
  }
}
