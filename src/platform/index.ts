// The simulated platform: configuration mechanisms, topology, interrupts,
// IOMMU, power, hot-plug and error reporting around the runtime.
export { allOnes, type ConfigFunction, type ConfigRouter, requesterId } from "./config-space.js";
export { CONFIG_ADDRESS_PORT, CONFIG_DATA_PORT, ConfigMechanism1, configAddress } from "./config-mechanism1.js";
export { Ecam, ecamAddress, type EcamWindow } from "./ecam.js";
export { Topology } from "./topology.js";
export { RootPort, ROOT_PORT_IMAGE, rootPortSourceFor } from "./root-port.js";
export { PassThroughFunction, type MsixEntry } from "./passthrough-function.js";
export { GuestInterrupts, HostVectors, PLATFORM_MSI_ADDRESS, type GuestMessage } from "./interrupts.js";
export { MsiMediator, guestMsi, guestMsixControl } from "./msi.js";
export { Iommu, PAGE_SIZE, type IommuFault } from "./iommu.js";
export { HostMemory } from "./host-memory.js";
export { dmaRead, dmaWrite, type DmaResult } from "./dma.js";
export { decidePowerState, type PowerDecision } from "./power.js";
export { slotChanged, hotPlugInterrupt } from "./hotplug.js";
export { guestMessage, logHostError, receiveAtRootPort, type ErrorMessage, type HostError } from "./errors.js";
export { HOST_BRIDGE_IMAGE, Machine, type MachineOptions, type PlugOptions } from "./machine.js";
export { Ring } from "./ring.js";
export { Vcpus, Vcpu, LocalApic, decodeMsi, msiAddressFor, MSI_ADDRESS_BASE, type MsiDelivery } from "./vcpus.js";
export { InterruptController, intxLine, INTX_LINES, FIRST_PCI_LINE, type IntxDelivery } from "./intx.js";
export { HostBars, ScratchRegisters, msixLocations, SCRATCH_BYTES, type RegisterHandler, type RegisterRegion, type MsixLocation } from "./host-bars.js";
export { BarMap, guestBarAddresses, hostBarAddress, type BarRun } from "./bar-map.js";
export { type ResetKind, type PlatformState } from "./reset.js";
export { checkAddressWrite, type UnsuitableUse } from "./unsuitable.js";
export { DeviceModelLog, logTimestamp, type DeviceModelLogOptions } from "./dm-log.js";
export { GuestOs, type BootReport, type BootStep, type BootedDevice } from "./guest-os.js";
