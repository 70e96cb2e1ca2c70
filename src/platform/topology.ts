// The guest's PCI topology and Type 1 routing (PCI-to-PCI Bridge 1.2 §3.1.2.1,
// PCIe Base 6.0 §7.3.3):
//
//   bus 0: 00:00.0 host bridge, 00:NN.0 one emulated Root Port per slot
//   bus S: the function in a port's slot, where S is the secondary bus number
//          the guest programmed on that port; only device 0, function 0
//          (a Root Port's link reaches one device, and each slot holds one
//          passed-through function)
//
// A bus between a port's secondary (exclusive) and subordinate (inclusive)
// numbers has nothing on it here (no switches): all-ones. A port whose
// secondary bus is 0 (not yet enumerated) forwards nothing. When a guest
// programs overlapping ranges on two ports, the port with the lower device
// number wins (a real root complex's behaviour is undefined there).
import type { OpenedDevice } from "../open-device.js";
import type { ConfigFunction, ConfigRouter } from "./config-space.js";
import type { RootPort } from "./root-port.js";

export class Topology implements ConfigRouter {
  /** Root ports by device number on bus 0, in ascending order. */
  readonly ports: RootPort[] = [];

  constructor(readonly hostBridge: OpenedDevice) {}

  addPort(port: RootPort): void {
    if (port.deviceNumber === 0 || this.ports.some((p) => p.deviceNumber === port.deviceNumber)) {
      throw new RangeError(`device 00:${port.deviceNumber.toString(16)} is taken`);
    }
    this.ports.push(port);
    this.ports.sort((a, b) => a.deviceNumber - b.deviceNumber);
  }

  route(bus: number, device: number, fn: number): ConfigFunction | undefined {
    if (fn !== 0) return undefined;
    if (bus === 0) {
      if (device === 0) return this.hostBridge.device;
      return this.ports.find((p) => p.deviceNumber === device)?.device;
    }
    for (const port of this.ports) {
      const claim = port.claims(bus);
      if (claim === undefined) continue;
      if (claim === "below" || device !== 0) return undefined;
      return port.child?.config;
    }
    return undefined;
  }

  /** The port whose slot holds `child`. */
  portOf(child: object): RootPort | undefined {
    return this.ports.find((p) => p.child === child);
  }
}
