// One passed-through function as the platform keeps it: the attached device
// (guest view over the simulated hardware), where its interrupt and power
// capabilities are, its IOMMU domain, and the interrupt routes the platform
// has set up for it.
import type { OpenedDevice } from "../open-device.js";
import { capabilityOffset } from "./capabilities.js";

/** An MSI-X table entry (the table lives in a BAR; modelled here, not in configuration space). */
export interface MsixEntry {
  address: bigint;
  data: number;
  masked: boolean;
}

export interface VectorBlock {
  readonly base: number;
  readonly count: number;
}

export class PassThroughFunction {
  readonly msi: number | undefined;
  readonly msix: number | undefined;
  readonly pm: number | undefined;
  readonly pcie: number | undefined;
  readonly aer: number | undefined;
  /** Host vectors behind the guest's MSI, while the platform has host MSI on. */
  msiVectors: VectorBlock | undefined;
  /** Host vectors behind the MSI-X table, while the platform has host MSI-X on. */
  msixVectors: VectorBlock | undefined;
  /** The host's MSI-X table as the platform programmed it (the device sends these). */
  readonly hostMsixTable: MsixEntry[];
  /** The guest's MSI-X table, written by the guest through its BAR (entries reset masked). */
  readonly guestMsixTable: MsixEntry[];
  /** Entries whose message the device held while the host Function Mask was set. */
  readonly hostPending = new Set<number>();
  /** Entries whose message the platform held while the guest masked them. */
  readonly guestPending = new Set<number>();
  /** The last PowerState the platform accepted (0 = D0 .. 3 = D3hot). */
  powerState = 0;

  constructor(
    readonly name: string,
    readonly opened: OpenedDevice,
    /** The host's Requester ID for this function: its IOMMU domain. */
    readonly domain: number,
  ) {
    const t = opened.tables;
    this.msi = capabilityOffset(t, "msi");
    this.msix = capabilityOffset(t, "msix");
    this.pm = capabilityOffset(t, "pm");
    this.pcie = capabilityOffset(t, "pcie");
    this.aer = capabilityOffset(t, "aer");
    const entries = this.msix === undefined ? 0 : ((opened.host.read32(this.msix >> 2) >>> 16) & 0x7ff) + 1;
    const fresh = () => ({ address: 0n, data: 0, masked: true });
    this.hostMsixTable = Array.from({ length: entries }, fresh);
    this.guestMsixTable = Array.from({ length: entries }, fresh);
  }

  get device() {
    return this.opened.device;
  }

  get host() {
    return this.opened.host;
  }
}
