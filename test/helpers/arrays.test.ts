// The fast typed-array equality fails where toEqual fails, with toEqual's diff.
import { describe, expect, it } from "vitest";
import { expectSameArray } from "./arrays.js";

describe("expectSameArray", () => {
  it("passes on arrays of the same kind, length and elements, views at an offset included", () => {
    expectSameArray(Uint8Array.of(1, 2, 3), Uint8Array.of(1, 2, 3));
    expectSameArray(new Uint32Array(new ArrayBuffer(16), 4, 2), Uint32Array.of(0, 0));
  });

  it("fails on a different element, length or kind, as toEqual does", () => {
    expect(() => expectSameArray(Uint8Array.of(1, 2, 3), Uint8Array.of(1, 2, 4))).toThrow(/toEqual|expected/i);
    expect(() => expectSameArray(Uint8Array.of(1, 2), Uint8Array.of(1, 2, 0))).toThrow();
    expect(() => expectSameArray(Uint8Array.of(0, 0, 0, 0), new Uint32Array(1))).toThrow();
    expect(() => expectSameArray(Uint32Array.of(0x01020304), Uint32Array.of(0x01020305), "dword 0")).toThrow(/dword 0/);
  });
});
