// The AER Header Log as the guest sees it: the host's TLP header with the
// function's Requester ID and BAR addresses translated, and every other host ID
// and address zeroed (PCIe Base 6.0 §2.2.1 header layouts).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type TlpTranslation, translateTlpHeader } from "../../src/platform/tlp-header.js";

const HOST_ID = 0x1000; // host bus 0x10, device 0, function 0
const GUEST_ID = 0x0200;
const ROOT_COMPLEX = 0x0000;
const T: TlpTranslation = {
  hostId: HOST_ID,
  guestId: GUEST_ID,
  windows: [
    { space: "mem", hostBase: 0xfe00_0000, size: 0x4000, guestBase: 0xc000_0000 },
    { space: "mem", hostBase: 0x38_0000_0000, size: 0x10_0000, guestBase: 0x8_0000_0000 },
    { space: "io", hostBase: 0xe000, size: 0x20, guestBase: 0xc000 },
  ],
};
/** DW0 from Fmt, Type and Length. */
const dw0 = (fmt: number, type: number, length = 1) => ((fmt << 29) | (type << 24) | length) >>> 0;

describe("translating a logged TLP header for the guest", () => {
  it("a 32-bit memory write into a BAR: the guest's address, the root complex as requester, tag and byte enables kept", () => {
    const mwr = [dw0(0b010, 0x00), (0x0a00 << 16) | 0x2a0f, 0xfe00_1234 | 0, 0xdead_beef];
    expect(translateTlpHeader(mwr, T)).toEqual([dw0(0b010, 0x00), 0x2a0f, 0xc000_1234, 0]);
  });

  it("a 64-bit memory read into a 64-bit BAR: both address dwords translated, Processing Hints kept", () => {
    const mrd = [dw0(0b001, 0x00), 0x0000_0aff, 0x38, 0x0000_8003];
    expect(translateTlpHeader(mrd, T)).toEqual([dw0(0b001, 0x00), 0x0aff, 0x8, 0x0000_8003]);
  });

  it("an address in no BAR of the function reads 0 (the host's memory map stays on the host)", () => {
    expect(translateTlpHeader([dw0(0b010, 0x00), 0, 0xfed0_0000, 0], T)[2]).toBe(0);
    expect(translateTlpHeader([dw0(0b011, 0x0d), 0, 0x1, 0x2000_0000], T).slice(2)).toEqual([0, 0]);
  });

  it("I/O requests are looked up in I/O BARs only", () => {
    expect(translateTlpHeader([dw0(0b000, 0x02), 0, 0xe004, 0], T)[2]).toBe(0xc004);
    expect(translateTlpHeader([dw0(0b000, 0x00), 0, 0xe004, 0], T)[2]).toBe(0);
  });

  it("a completion: the function's own ID becomes the guest's, the host's Completer ID the root complex", () => {
    const cpl = [dw0(0b010, 0x0a), (0x0008 << 16) | 0x0004, (HOST_ID << 16) | 0x1140, 0x1234_5678];
    expect(translateTlpHeader(cpl, T)).toEqual([dw0(0b010, 0x0a), (ROOT_COMPLEX << 16) | 0x0004, ((GUEST_ID << 16) | 0x1140) >>> 0, 0]);
  });

  it("a configuration request: the target ID translated, the register number kept", () => {
    const cfg = [dw0(0b000, 0x04), 0x0000_010f, (HOST_ID << 16) | 0x0104, 0];
    expect(translateTlpHeader(cfg, T)).toEqual([dw0(0b000, 0x04), 0x010f, ((GUEST_ID << 16) | 0x0104) >>> 0, 0]);
  });

  it("messages: an ID-routed target is translated; an address or vendor data is dropped", () => {
    expect(translateTlpHeader([dw0(0b001, 0x12), (HOST_ID << 16) | 0x7e, (HOST_ID << 16) | 0x8086, 0x55], T)).toEqual([
      dw0(0b001, 0x12),
      ((GUEST_ID << 16) | 0x7e) >>> 0,
      ((GUEST_ID << 16) | 0x8086) >>> 0,
      0,
    ]);
    expect(translateTlpHeader([dw0(0b001, 0x10), 0x7e, 0xfee0_0000, 0x1], T).slice(2)).toEqual([0, 0]);
  });

  it("a TLP prefix or a type it does not know keeps nothing that could name the host", () => {
    expect(translateTlpHeader([dw0(0b100, 0x00), HOST_ID << 16, 0xfe00_0000, 1], T)).toEqual([0, 0, 0, 0]);
    expect(translateTlpHeader([dw0(0b011, 0x1b), HOST_ID << 16, 0xfe00_0000, 1], T)).toEqual([dw0(0b011, 0x1b), 0, 0, 0]);
  });

  it("property: the translated header holds no host ID and no address outside the guest's BARs", () => {
    const guestIds = new Set([0, GUEST_ID]);
    const inGuestWindow = (space: "mem" | "io", a: number) => a === 0 || T.windows.some((w) => w.space === space && a >= w.guestBase && a < w.guestBase + w.size);
    const word = fc.oneof(fc.constantFrom(HOST_ID << 16, 0xfe00_1000, 0x38, 0xe000), fc.nat({ max: 0xffff_ffff }));
    fc.assert(
      fc.property(fc.nat({ max: 7 }), fc.nat({ max: 0x1f }), word, word, word, (fmt, type, a, b, c) => {
        const [d0, d1, d2, d3] = translateTlpHeader([dw0(fmt, type), a, b, c], T);
        if (fmt === 0b100) return d0 === 0 && d1 === 0 && d2 === 0 && d3 === 0;
        expect(d0).toBe(dw0(fmt, type));
        expect(guestIds.has(d1 >>> 16)).toBe(true);
        const memory = [0x00, 0x01, 0x0c, 0x0d, 0x0e].includes(type);
        if (memory && fmt & 1) expect(inGuestWindow("mem", d2 * 2 ** 32 + ((d3 & ~3) >>> 0))).toBe(true);
        else if (memory || type === 0x02) expect(inGuestWindow(type === 0x02 ? "io" : "mem", (d2 & ~3) >>> 0)).toBe(true);
        else {
          expect(d2 === 0 || guestIds.has(d2 >>> 16)).toBe(true);
          expect(d3).toBe(0);
        }
        return true;
      }),
      { seed: 13, numRuns: 2000 },
    );
  });
});
