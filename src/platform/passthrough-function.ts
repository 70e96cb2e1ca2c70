// One passed-through function as the platform keeps it: the attached device
// (guest view over the simulated hardware), where its interrupt and power
// capabilities are, its IOMMU domain, and the interrupt routes the platform
// has set up for it.
import type { OpenedDevice } from "../open-device.js";
import type { BarInfo } from "../runtime/bars.js";
import { capabilityOffset } from "./capabilities.js";
import type { ConfigFunction } from "./config-space.js";
import type { HostBars, MsixLocation } from "./host-bars.js";
import type { PlatformState } from "./reset.js";

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
  /** The device model behind the BARs (set by the machine at plug). */
  hostBars: HostBars | undefined;
  /** The host's configuration right after a reset, and what the platform restores then (reset.ts). */
  resetImage: Uint32Array | undefined;
  platformState: PlatformState | undefined;
  /** The emulated interrupt controller line INTx reaches, and whether the device holds its pin. */
  intxLine = -1;
  intxPending = false;
  /** Where the MSI-X table and PBA sit in the BARs (host values, read at plug). */
  msixLocation: { readonly table: MsixLocation; readonly pba: MsixLocation } | undefined;
  /** Called after a guest configuration write that may move a BAR or change decoding (0x04..0x33). */
  afterConfigWrite: (() => void) | undefined;
  /**
   * The function's configuration space as the guest's buses reach it: the
   * runtime's, plus the platform's look after writes to Command, the BARs and
   * the ROM BAR (remapping BARs, re-gating INTx), as QEMU's config write path does.
   */
  readonly config: ConfigFunction = {
    read: (offset, size) => this.opened.device.read(offset, size),
    write: (offset, size, value) => {
      this.opened.device.write(offset, size, value);
      if (offset < 0x34 && offset + size > 0x04) this.afterConfigWrite?.();
    },
  };
  /** Whether the platform found it unsuitable for pass-through (unsuitable.ts). */
  unsuitable = false;

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

  /** The BARs and ROM BAR, as attach decoded them (sizes included). */
  get bars(): readonly BarInfo[] {
    return this.opened.tables.bars;
  }

  get device() {
    return this.opened.device;
  }

  get host() {
    return this.opened.host;
  }
}
