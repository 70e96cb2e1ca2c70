// BAR sizes: where each one comes from (in the order they win: the command
// line, the device file, the sizes the input carries, a Resizable BAR
// capability's current size, else a guess), and the caps on a guess.
// The table runtime (bars.ts) and the reference interpreter both size BARs
// from here: sizes are a device fact, not lowering.
import type { InputSizes } from "../host/dump.js";
import type { HostDevice } from "../host/host.js";
import { walkExtended } from "./chains.js";

/** Sizes an input carries (sysfs resource, lspci [size=] lines, an example image): the host model's type. */
export type { InputSizes };

/** Where a BAR's size came from, in the order they win. */
export type BarSizeSource = "option" | "device-file" | "input" | "resizable-bar" | "guess";


/** Sizes someone gave, by where they came from; each undefined entry falls through. */
export interface GivenSizes {
  readonly option: { readonly bars: readonly (number | undefined)[]; readonly rom?: number };
  readonly deviceFile: { readonly bars: readonly (number | undefined)[]; readonly rom?: number };
  readonly input?: InputSizes;
}

/**
 * Largest sizes a guess may take. A guess becomes the guest's BAR size (its
 * firmware sizes BARs through us), so it must fit what the specification and a
 * real machine allow: I/O BARs decode at most 256 bytes (PCI LB 3.0 §6.2.5.1),
 * the Expansion ROM at most 16 MiB (§6.2.5.2: address bits 31:11, and
 * firmware shadows it below 1 MiB or maps it in the 32-bit hole), and memory
 * BARs far below the 32-bit hole; also QEMU 7.2's proxy computes a BAR's size
 * in a C int, so 2 GiB aborts it (hw/remote/proxy.c probe_pci_info).
 */
export const GUESS_CAP = { io: 256, mem: 256 * 2 ** 20, rom: 16 * 2 ** 20 } as const;
const MIN_SIZE = { io: 4, mem: 16, rom: 2048 } as const;

const lowestSetBit = (x: number): number => (x >>> 0) & -(x >>> 0) ? ((x >>> 0) & -(x >>> 0)) >>> 0 : 0;

/**
 * The size a dump implies when nobody says: the alignment of the programmed
 * address (its lowest set address bit), the largest size consistent with it.
 * An address of 0 means the BAR is not implemented. Not capped: see guessBarSize.
 */
export function defaultBarSize(addressLow: number, upper: number): number {
  if (addressLow >>> 0) return lowestSetBit(addressLow);
  if (upper >>> 0) return lowestSetBit(upper) * 2 ** 32;
  return 0;
}

/** The guess: the address alignment, clamped to what the kind of BAR may decode. */
export function guessBarSize(kind: "io" | "mem" | "rom", addressLow: number, upper: number): number {
  const implied = defaultBarSize(addressLow, upper);
  if (implied === 0) return 0;
  return Math.max(MIN_SIZE[kind], Math.min(implied, GUESS_CAP[kind]));
}

/**
 * Current sizes from a Resizable BAR capability (PCIe Base 6.0 §7.8.6): per
 * Control register, BAR Index in bits 2:0 and BAR Size in bits 13:8 (2^(20+n) bytes).
 */
export function resizableBarSizes(host: HostDevice): (number | undefined)[] {
  const out: (number | undefined)[] = [];
  const rebar = walkExtended(host, []).find((c) => c.id === 0x15);
  if (!rebar) return out;
  const count = (host.read32((rebar.offset + 8) >> 2) >>> 5) & 7;
  for (let i = 0; i < Math.min(count, 6); i++) {
    const off = rebar.offset + 8 + 8 * i;
    if (off + 4 > host.size) break;
    const control = host.read32(off >> 2);
    out[control & 7] = 2 ** (20 + ((control >>> 8) & 0x3f));
  }
  return out;
}

export type BarKind = "io" | "mem" | "rom";
export type SizeOf = (index: number, kind: BarKind, address: number, upper: number) => { size: number; source: BarSizeSource };

/** The BAR's size, from the first source that has one. */
export function resolveBarSize(given: GivenSizes, rebar: readonly (number | undefined)[]): SizeOf {
  return (index, kind, address, upper) => {
    const pick = (s: { readonly bars: readonly (number | undefined)[]; readonly rom?: number } | undefined) =>
      s === undefined ? undefined : index === 6 ? s.rom : s.bars[index];
    const option = pick(given.option);
    if (option !== undefined) return { size: option, source: "option" };
    const file = pick(given.deviceFile);
    if (file !== undefined) return { size: file, source: "device-file" };
    const input = pick(given.input);
    if (input !== undefined) return { size: input, source: "input" };
    if (index < 6 && rebar[index] !== undefined) return { size: rebar[index]!, source: "resizable-bar" };
    return { size: guessBarSize(kind, address, upper), source: "guess" };
  };
}

const sizeText = (n: number): string =>
  n >= 2 ** 30 && n % 2 ** 30 === 0 ? `${n / 2 ** 30} GiB` : n >= 2 ** 20 && n % 2 ** 20 === 0 ? `${n / 2 ** 20} MiB` : n >= 1024 && n % 1024 === 0 ? `${n / 1024} KiB` : `${n} bytes`;

/** One line per BAR whose size is a guess: which BAR, the guess, and how to say better. */
export function guessWarnings(bars: readonly { index: number; kind: string; size: number; source: BarSizeSource }[]): string[] {
  return bars
    .filter((b) => b.source === "guess" && b.size > 0)
    .map((b) => {
      const name = b.index === 6 ? "ROM" : `BAR ${b.index}`;
      const fix = b.index === 6 ? "`--bar rom=SIZE` or `rom size S`" : `\`--bar ${b.index}=SIZE\` or \`bar ${b.index} size S\``;
      return `${name}: size guessed as ${sizeText(b.size)} from the host address's alignment (capped at ${sizeText(GUESS_CAP[b.kind === "io" ? "io" : b.kind === "rom" ? "rom" : "mem"])}); give ${fix} in a device file`;
    });
}

