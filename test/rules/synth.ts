// Synthetic host devices for rule tests: a Type 0 function of an unassigned
// class (so no shipped device file matches) with the capabilities asked for,
// linked in the order given, over a 4 KiB configuration space.
import { compileRules, compileRuleText, type CompiledRules } from "../../src/compile/pipeline.js";
import { type OpenedDevice, type OpenOptions, openSource } from "../../src/open-device.js";

export interface SynthCap {
  readonly kind: "capability" | "extended";
  readonly id: number;
  readonly offset: number;
  /** Bytes to set, relative to the capability's offset. */
  readonly bytes?: Readonly<Record<number, number>>;
}

let standard: CompiledRules | undefined;
export const stdlib = (): CompiledRules => (standard ??= compileRules());

export const SYNTH_VENDOR = 0x1af4;
export const SYNTH_DEVICE = 0x10f0;

export function synthBytes(caps: readonly SynthCap[], headerType = 0): Uint8Array {
  const b = new Uint8Array(4096);
  const w16 = (o: number, v: number) => ((b[o] = v & 0xff), (b[o + 1] = v >> 8));
  w16(0x00, SYNTH_VENDOR);
  w16(0x02, SYNTH_DEVICE);
  w16(0x04, 0x0006);
  b[0x0b] = 0xff; // class ff0000: unassigned
  b[0x0e] = headerType;
  const std = caps.filter((c) => c.kind === "capability");
  const ext = caps.filter((c) => c.kind === "extended");
  if (std.length > 0) {
    b[0x06] = 0x10;
    b[0x34] = std[0].offset;
  }
  std.forEach((c, i) => {
    b[c.offset] = c.id;
    b[c.offset + 1] = std[i + 1]?.offset ?? 0;
  });
  ext.forEach((c, i) => {
    const next = ext[i + 1]?.offset ?? 0;
    const dword = (c.id | (1 << 16) | (next << 20)) >>> 0;
    for (let k = 0; k < 4; k++) b[c.offset + k] = (dword >>> (8 * k)) & 0xff;
  });
  for (const c of caps) for (const [k, v] of Object.entries(c.bytes ?? {})) b[c.offset + Number(k)] = v;
  return b;
}

/** Open a synthetic device against the standard library, or the library plus a device file. */
export function openSynth(caps: readonly SynthCap[], opts: OpenOptions & { deviceFile?: string } = {}): OpenedDevice {
  const compiled = opts.deviceFile ? compileRuleText("test-device.rules", opts.deviceFile) : stdlib();
  return openSource(
    { path: "synthetic", title: "00:00.0 Device", bytes: synthBytes(caps), barSizes: [], romSize: undefined, vpd: undefined, compiled },
    opts,
  );
}

export const deviceFileFor = (body: string) => `device "synthetic" match ${SYNTH_VENDOR.toString(16).padStart(4, "0")}:${SYNTH_DEVICE.toString(16)} { ${body} }\n`;
