// The typed error a call throws, for tests that check its diagnostics.
import { CfgvirtError } from "../../src/diag/diagnostic.js";

export function errorOf(f: () => unknown): CfgvirtError {
  try {
    f();
  } catch (e) {
    if (e instanceof CfgvirtError) return e;
    throw e;
  }
  throw new Error("expected a CfgvirtError");
}
