// Open the device a verb names (--device, --rules, --bar) and report the
// warnings about it before the verb prints anything.
import { statSync } from "node:fs";
import { rulesFilesIn } from "../compile/pipeline.js";
import { DEFAULT_EXAMPLE, type OpenedDevice, type OpenOptions, openDevice, readDeviceSource } from "../open-device.js";
import { type Io, UsageError } from "./command.js";
import { parseBarOptions, selectionOf } from "./view.js";
import { reportWarnings, warningsFor } from "./warnings.js";

export interface DeviceArgs {
  readonly device?: string;
  readonly rules?: string[];
  readonly bar?: string[];
  readonly slot?: string;
  readonly id?: string;
  readonly pf?: string;
  readonly vf?: string;
  readonly "deny-warnings"?: boolean;
}

/** `--rules` values: a directory stands for every .rules file below it. */
export function ruleFiles(paths: readonly string[] | undefined): string[] | undefined {
  return paths?.flatMap((p) => (statSync(p, { throwIfNoEntry: false })?.isDirectory() ? rulesFilesIn(p) : [p]));
}

/** `--pf FILE [--vf N]`: the device is VF N of that physical function. */
function physicalFunctionOf(values: DeviceArgs): Pick<OpenOptions, "physicalFunction"> {
  if (values.pf === undefined) {
    if (values.vf !== undefined) throw new UsageError("--vf needs --pf (the physical function's dump)");
    return {};
  }
  const index = values.vf === undefined ? 0 : Number(values.vf);
  if (!Number.isInteger(index) || index < 0 || index > 0xffff) throw new UsageError(`--vf must be a VF index (0, 1, ...), not '${values.vf}'`);
  return { physicalFunction: { source: readDeviceSource(values.pf), index } };
}

/** `stop` is the exit status when denied warnings end the run. */
export function openForVerb(values: DeviceArgs, io: Io, extra: OpenOptions = {}): { opened: OpenedDevice; stop: number | undefined } {
  const opts = { rules: ruleFiles(values.rules), ...selectionOf(values), ...parseBarOptions(values.bar), ...physicalFunctionOf(values), ...extra };
  const opened = openDevice(values.device ?? DEFAULT_EXAMPLE, opts);
  return { opened, stop: reportWarnings(io, warningsFor(opened, opts), values["deny-warnings"]) };
}
