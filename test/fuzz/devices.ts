// The devices every fuzz and security test runs on: the example devices the
// project ships and every real dump in ../shared/devices (skipped with a
// message when that directory is absent; never copied into the project).
import { basename } from "node:path";
import { exampleDevices } from "../../src/open-device.js";
import { dumpHeaderType, haveSharedDevices, sharedDumps } from "../helpers/devices.js";

export interface FuzzDevice {
  readonly name: string;
  readonly path: string;
  /** A Type 1 header: opened with allowBridge. */
  readonly bridge: boolean;
}

export const fuzzDevices: readonly FuzzDevice[] = [
  ...exampleDevices().map((path) => ({ name: `example ${basename(path)}`, path, bridge: false })),
  ...sharedDumps().map((path) => ({ name: basename(path), path, bridge: dumpHeaderType(path) !== 0 })),
];

export { haveSharedDevices };
