// The defect of issue 12: the reference interpreter shared the table path's
// capability-chain walker, so a chain walker that forgets MSI fooled both
// sides and every differential test passed. Here the table path's walker
// forgets MSI; the differential harness must notice.
import { describe, expect, it, vi } from "vitest";

vi.mock("../../src/runtime/chains.js", async (original) => {
  const real = await original<typeof import("../../src/runtime/chains.js")>();
  const MSI = 0x05;
  return { ...real, walkStandard: (...args: Parameters<typeof real.walkStandard>) => real.walkStandard(...args).filter((c) => c.id !== MSI) };
});

const { openPair, runPair } = await import("../../src/fuzz/harness.js");
const { DEFAULT_EXAMPLE } = await import("../../src/open-device.js");

describe("a table path that forgets MSI", () => {
  it("is caught by the differential harness on the example NIC", () => {
    const pair = openPair(DEFAULT_EXAMPLE);
    // The guest reads the MSI capability at 0x50: the reference sees it, the broken walker hid it.
    const m = runPair(pair, [{ kind: "r", offset: 0x50, size: 4 }]);
    expect(m?.message).toMatch(/r 0x050 4: table runtime 0x00000000, reference 0x[0-9a-f]{6}05/);
  });
});
