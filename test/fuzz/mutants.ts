// The bugs `npm run mutation` plants (test/fuzz/mutation.ts), one per part of
// the table path the fuzz suite guards. test/fuzz/mutants.test.ts checks that
// each can still be planted (its code found exactly once), so that a refactor
// that moves the code fails in `npm test` rather than in the script.
export interface Mutant {
  readonly part: string;
  readonly what: string;
  readonly file: string;
  readonly find: string;
  readonly replace: string;
}

export const MUTANTS: readonly Mutant[] = [
  {
    part: "chains",
    what: "the standard chain walker forgets MSI",
    file: "src/runtime/chains.ts",
    find: `found.push({ kind: "capability", id: readByte(host, ptr), offset: ptr, version: 0 });`,
    replace: `if (readByte(host, ptr) !== 0x05) found.push({ kind: "capability", id: readByte(host, ptr), offset: ptr, version: 0 });`,
  },
  {
    part: "matching",
    what: "a vendor:device match compares the device ID with the subsystem ID",
    file: "src/compile/apply/match.ts",
    find: `[m.device, id.device],`,
    replace: `[m.device, id.subsystem],`,
  },
  {
    part: "lowering",
    what: "a trapped RW field ignores the guest's writes (MSI Enable never sets)",
    file: "src/compile/lower/bits.ts",
    find: `virtWrite: emulated && cls === "write" ? u(m) : 0,`,
    replace: `virtWrite: policy.kind === "emulate" && cls === "write" ? u(m) : 0,`,
  },
  {
    part: "lowering",
    what: "RW1C bits the guest does not own are written back as the hardware holds them (a 1 clears the host's status)",
    file: "src/compile/lower/bits.ts",
    find: `preserve: !passedWrite && cls !== "w1c" && cls !== "rsvdz" ? u(m) : 0,`,
    replace: `preserve: !passedWrite && cls !== "rsvdz" ? u(m) : 0,`,
  },
  {
    part: "resolve",
    what: "an override reaches only the first variant of its register (bridge_config_retry is E110 again)",
    file: "src/compile/resolve/device.ts",
    find: `variants.flatMap((v) => v.fields).find((x) => x.name === f.name)`,
    replace: `reg.fields.find((x) => x.name === f.name)`,
  },
  {
    part: "attach",
    what: "a hidden capability at 0x100 re-links the extended chain with the pointer in the wrong bits",
    file: "src/runtime/attach.ts",
    find: `initialShadow[d] = (first << 20) >>> 0;`,
    replace: `initialShadow[d] = (first << 16) >>> 0;`,
  },
  {
    part: "attach",
    what: "emulate(next) links each capability to itself",
    file: "src/runtime/attach.ts",
    find: `return chain[chain.indexOf(offset) + 1] ?? 0;`,
    replace: `return chain[chain.indexOf(offset)] ?? 0;`,
  },
];
