// Equality of two integer typed arrays, as expect(a).toEqual(b) would judge it
// (same kind, length and elements), without its element-by-element deep
// equality on every pass: ~1 ms per 4 KiB array, which property tests comparing
// whole configuration spaces run hundreds of times. A difference is reported
// by toEqual itself, with its usual diff.
import { expect } from "vitest";

type IntArray = Uint8Array | Uint16Array | Uint32Array;

export function expectSameArray(actual: IntArray, expected: IntArray, message?: string): void {
  const bytes = (a: IntArray) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  const same = Object.getPrototypeOf(actual) === Object.getPrototypeOf(expected) && actual.length === expected.length && bytes(actual).equals(bytes(expected));
  if (!same) expect(actual, message).toEqual(expected);
}
