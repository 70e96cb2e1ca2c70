// What the configuration mechanisms (port I/O and ECAM) talk to: a function
// found by bus/device/function, or nothing. Both mechanisms resolve through
// the same ConfigRouter, so they cannot disagree about who answers.

/** One function's configuration space as the guest reaches it. */
export interface ConfigFunction {
  read(offset: number, size: number): number;
  write(offset: number, size: number, value: number): void;
}

/** Resolves a guest bus/device/function to the function that answers, if any. */
export interface ConfigRouter {
  route(bus: number, device: number, fn: number): ConfigFunction | undefined;
}

/** What an access to nothing reads: all-ones for its size (a master abort). */
export function allOnes(size: number): number {
  return size === 1 ? 0xff : size === 2 ? 0xffff : 0xffffffff;
}

/** A bus/device/function as a 16-bit Requester ID (bus 15:8, device 7:3, function 2:0). */
export function requesterId(bus: number, device: number, fn: number): number {
  return ((bus & 0xff) << 8) | ((device & 0x1f) << 3) | (fn & 7);
}
