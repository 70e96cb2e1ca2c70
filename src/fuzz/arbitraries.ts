// fast-check arbitraries for guest access sequences and host device states.
//
// The access-sequence arbitrary is written directly against fast-check's
// Arbitrary class so that generating costs a few random draws per access (the
// `cfgvirt fuzz` campaign runs millions of accesses a minute) while shrinking
// still works on any value: drop chunks of the sequence (halves first, down to
// single accesses), then simplify each access (value to 0 or one bit, size to
// 1, offset to its dword's start).
import fc from "fast-check";
import type { GuestAccess } from "./harness.js";
import type { ReferenceDevice } from "./reference/device.js";

/** Offsets worth hitting on one attached device: register starts and boundaries. */
export interface AccessProfile {
  readonly hot: readonly number[];
}

/** The register and capability boundaries of an attached device, from the reference's placements. */
export function accessProfile(ref: ReferenceDevice): AccessProfile {
  const hot = new Set<number>([0x00, 0x04, 0x06, 0x10, 0x30, 0x34, 0x3c, 0x3f, 0x40, 0xfc, 0xff, 0x100, 0x104, 0xffc, 0xfff]);
  for (const p of ref.placements) {
    hot.add(p.base);
    hot.add(p.base + p.size);
    hot.add(p.base + p.size - 1);
    const walk = (body: typeof p.layout.body) => {
      for (const s of body) {
        if (s.kind === "register") hot.add(p.base + s.offset.value);
        else {
          walk(s.then);
          walk(s.otherwise);
        }
      }
    };
    walk(p.layout.body);
  }
  return { hot: [...hot].filter((o) => o >= 0 && o < 4096).sort((a, b) => a - b) };
}

export interface SequenceConstraints {
  readonly minLength?: number;
  readonly maxLength?: number;
  /**
   * Also generate accesses no script can express (sizes other than 1/2/4,
   * negative, fractional, NaN or too-large offsets), a few percent of them.
   */
  readonly odd?: boolean;
}

const ODD_SIZES = [0, 3, 5, 8, -1, 1.5, NaN];
const ODD_OFFSETS = [-1, -4, 4096, 4097, 0x10000, 2 ** 32, 1.5, 4095.5, NaN, Infinity];

const maskFor = (size: number) => (size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff);

function generateAccess(mrng: fc.Random, profile: AccessProfile, odd: boolean): GuestAccess {
  const kind = mrng.nextInt(0, 1) === 0 ? "r" : "w";
  let size = [1, 2, 4][mrng.nextInt(0, 2)];
  let offset: number;
  const where = mrng.nextInt(0, 99);
  if (where < 60) {
    const hot = profile.hot[mrng.nextInt(0, profile.hot.length - 1)];
    offset = Math.min(4095, Math.max(0, hot + mrng.nextInt(-3, 3)));
  } else if (where < 68) offset = 4096 - mrng.nextInt(1, 8);
  else offset = mrng.nextInt(0, 4095);
  if (odd && mrng.nextInt(0, 99) < 4) {
    if (mrng.nextInt(0, 1) === 0) size = ODD_SIZES[mrng.nextInt(0, ODD_SIZES.length - 1)];
    else offset = ODD_OFFSETS[mrng.nextInt(0, ODD_OFFSETS.length - 1)];
  }
  if (kind === "r") return { kind, offset, size };
  const m = maskFor(size);
  const pick = mrng.nextInt(0, 7);
  let value: number;
  if (pick === 0) value = 0;
  else if (pick === 1) value = m;
  else if (pick === 2) value = (2 ** mrng.nextInt(0, 31)) % (m + 1);
  else if (pick === 3) value = (m ^ 2 ** mrng.nextInt(0, 31)) & m;
  else value = (mrng.nextInt() >>> 0) & m;
  return { kind, offset, size, value: value >>> 0 };
}

function isAccess(v: unknown): v is GuestAccess {
  if (typeof v !== "object" || v === null) return false;
  const a = v as Record<string, unknown>;
  return (a.kind === "r" || (a.kind === "w" && typeof a.value === "number")) && typeof a.offset === "number" && typeof a.size === "number";
}

/** Simpler versions of one access, simplest first. */
function* simplerAccesses(a: GuestAccess): Generator<GuestAccess> {
  if (a.kind === "w") {
    if (a.value !== 0) yield { ...a, value: 0 };
    const v = a.value >>> 0;
    if (v !== 0 && (v & (v - 1)) !== 0) {
      const top = 2 ** (31 - Math.clz32(v));
      yield { ...a, value: top };
      yield { ...a, value: v - top };
    }
  }
  if (Number.isInteger(a.offset) && a.offset >= 0 && a.offset < 4096) {
    if (a.size !== 1 && [1, 2, 4].includes(a.size)) {
      for (let i = 0; i < a.size; i++) {
        const v = a.kind === "w" ? Math.floor((a.value >>> 0) / 2 ** (8 * i)) % 256 : 0;
        yield a.kind === "w" ? { kind: "w", offset: a.offset + i, size: 1, value: v } : { kind: "r", offset: a.offset + i, size: 1 };
      }
    }
    if ((a.offset & 3) !== 0 && (a.offset & 3) + a.size <= 4) yield { ...a, offset: a.offset & ~3 };
  }
}

class AccessSequenceArbitrary extends fc.Arbitrary<GuestAccess[]> {
  constructor(
    private readonly profile: AccessProfile,
    private readonly minLength: number,
    private readonly maxLength: number,
    private readonly odd: boolean,
  ) {
    super();
  }

  generate(mrng: fc.Random, biasFactor: number | undefined): fc.Value<GuestAccess[]> {
    // With bias, prefer short sequences now and then: small counterexamples come first.
    const max = biasFactor !== undefined && mrng.nextInt(1, biasFactor) === 1 ? Math.min(this.maxLength, this.minLength + 8) : this.maxLength;
    const n = mrng.nextInt(this.minLength, max);
    const out: GuestAccess[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = generateAccess(mrng, this.profile, this.odd);
    return new fc.Value(out, undefined);
  }

  canShrinkWithoutContext(value: unknown): value is GuestAccess[] {
    return Array.isArray(value) && value.length >= this.minLength && value.length <= this.maxLength && value.every(isAccess);
  }

  shrink(value: GuestAccess[]): fc.Stream<fc.Value<GuestAccess[]>> {
    const min = this.minLength;
    function* candidates(): Generator<fc.Value<GuestAccess[]>> {
      // Drop chunks: halves, quarters, ... single accesses.
      for (let chunk = Math.max(1, value.length >> 1); chunk >= 1; chunk >>= 1) {
        for (let start = 0; start + chunk <= value.length; start += chunk) {
          if (value.length - chunk < min) continue;
          yield new fc.Value([...value.slice(0, start), ...value.slice(start + chunk)], undefined);
        }
        if (chunk === 1) break;
      }
      // Simplify one access at a time.
      for (let i = 0; i < value.length; i++) {
        for (const simpler of simplerAccesses(value[i])) {
          const next = value.slice();
          next[i] = simpler;
          yield new fc.Value(next, undefined);
        }
      }
    }
    return fc.stream(candidates());
  }
}

/** Guest access sequences over one device, biased towards its registers and boundaries. */
export function accessSequence(profile: AccessProfile, c: SequenceConstraints = {}): fc.Arbitrary<GuestAccess[]> {
  return new AccessSequenceArbitrary(profile, c.minLength ?? 0, c.maxLength ?? 64, c.odd ?? false);
}

/** One change to a host's configuration bytes. */
export type HostMutation =
  | { readonly kind: "xor"; readonly offset: number; readonly mask: number }
  | { readonly kind: "set"; readonly offset: number; readonly value: number };

/**
 * Host device states: a few byte mutations of the device's real image, biased
 * to the registers the rules describe (so that guards, capability chains,
 * sizes, BAR flags and error bits all vary).
 */
export function hostMutations(profile: AccessProfile, maxMutations = 6): fc.Arbitrary<HostMutation[]> {
  const offset = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...profile.hot).chain((o) => fc.integer({ min: Math.max(0, o - 2), max: Math.min(4095, o + 3) })) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 4095 }) },
  );
  const mutation: fc.Arbitrary<HostMutation> = fc.oneof(
    fc.record({ kind: fc.constant("xor" as const), offset, mask: fc.integer({ min: 0, max: 7 }).map((b) => 1 << b) }),
    fc.record({ kind: fc.constant("set" as const), offset, value: fc.oneof(fc.constant(0), fc.constant(0xff), fc.integer({ min: 0, max: 0xff })) }),
  );
  return fc.array(mutation, { maxLength: maxMutations });
}

/** Apply mutations to a copy of a configuration image. */
export function applyMutations(bytes: Uint8Array, mutations: readonly HostMutation[]): Uint8Array {
  const out = Uint8Array.from(bytes);
  for (const m of mutations) {
    if (m.offset >= out.length) continue;
    out[m.offset] = m.kind === "xor" ? out[m.offset] ^ m.mask : m.value;
  }
  return out;
}
