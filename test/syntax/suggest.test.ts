// The edit-distance suggestions behind every "did you mean".
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { closest, didYouMean, suggestionHelp } from "../../src/diag/suggest.js";

describe("closest", () => {
  it("finds typos: a missed, stray or changed letter, a swap, a case slip", () => {
    expect(closest("hidee", ["allow", "hide", "override"])).toBe("hide");
    expect(closest("RWC", ["RO", "RW", "RW1C"])).toBe("RW1C");
    expect(closest("pcei", ["pri", "pcie", "pm"])).toBe("pcie");
    expect(closest("rw", ["RO", "RW"])).toBe("RW");
    expect(closest("valeu", ["value", "other"])).toBe("value");
  });

  it("suggests nothing for unrelated or one-letter names", () => {
    expect(closest("zzzz", ["bar", "rom", "msi_enable"])).toBeUndefined();
    expect(closest("b", ["a"])).toBeUndefined();
    expect(closest("vendor", ["header"])).toBeUndefined();
  });

  it("names every equally near candidate; help falls back to the list", () => {
    expect(didYouMean("std_q", ["std_a", "std_b", "other"])).toBe("did you mean one of `std_a`, `std_b`?");
    expect(suggestionHelp("zzzz", ["bar", "rom"], "known hooks")).toBe("known hooks: bar, rom");
  });

  it("property: one edit to a name of 4+ letters is traced back to it, and never to itself", () => {
    const word = fc.stringMatching(/^[a-z_]{4,16}$/);
    fc.assert(
      fc.property(word, fc.nat(), fc.constantFrom("a", "q", "_"), (w, at, ch) => {
        const i = at % w.length;
        const typo = w.slice(0, i) + ch + w.slice(i + 1);
        const near = closest(typo, [w, "zzzzzzzzzzzzzzzzzzzz"]);
        return typo === w ? near === undefined : near === w;
      }),
      { seed: 12, numRuns: 300 },
    );
  });
});
