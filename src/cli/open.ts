// Open the device a verb names (--device, --rules, --bar) and report the
// warnings about it before the verb prints anything.
import { DEFAULT_EXAMPLE, type OpenedDevice, type OpenOptions, openDevice } from "../open-device.js";
import type { Io } from "./command.js";
import { parseBarOptions } from "./view.js";
import { reportWarnings, warningsFor } from "./warnings.js";

export interface DeviceArgs {
  readonly device?: string;
  readonly rules?: string[];
  readonly bar?: string[];
  readonly "deny-warnings"?: boolean;
}

/** `stop` is the exit status when denied warnings end the run. */
export function openForVerb(values: DeviceArgs, io: Io, extra: OpenOptions = {}): { opened: OpenedDevice; stop: number | undefined } {
  const opts = { rules: values.rules, ...parseBarOptions(values.bar), ...extra };
  const opened = openDevice(values.device ?? DEFAULT_EXAMPLE, opts);
  return { opened, stop: reportWarnings(io, warningsFor(opened, opts), values["deny-warnings"]) };
}
