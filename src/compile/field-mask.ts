// Bits [hi:lo] of a register as a mask: what validate and lower both compute.
export const fieldMask = (hi: number, lo: number): number => (hi - lo >= 31 ? 0xffffffff : ((1 << (hi - lo + 1)) - 1) << lo) >>> 0;
