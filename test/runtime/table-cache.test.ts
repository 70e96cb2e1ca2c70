import { describe, expect, it } from "vitest";
import { openSource, readDeviceSource } from "../../src/open-device.js";
import { TableCache } from "../../src/runtime/table-cache.js";

describe("identical devices share tables", () => {
  it("a second identical device reuses the first one's tables but keeps its own virtual state", () => {
    const cache = new TableCache();
    const source = readDeviceSource("examples/nic.rules");
    const a = openSource(source, { tableCache: cache });
    const b = openSource(source, { tableCache: cache });
    expect(b.tables).toBe(a.tables);
    expect([cache.misses, cache.hits]).toEqual([1, 1]);
    a.device.write(0x04, 2, 0);
    expect(a.device.read(0x04, 2)).toBe(0);
    expect(b.device.read(0x04, 2)).not.toBe(0);
  });

  it("different bytes, BAR sizes or policies get their own tables", () => {
    const cache = new TableCache();
    const source = readDeviceSource("examples/nic.rules");
    const a = openSource(source, { tableCache: cache });
    const other = { ...source, bytes: Uint8Array.from(source.bytes, (v, i) => (i === 0x3c ? v ^ 1 : v)) };
    expect(openSource(other, { tableCache: cache }).tables).not.toBe(a.tables);
    expect(openSource(source, { tableCache: cache, barSizes: [1 << 20] }).tables).not.toBe(a.tables);
    expect(cache.misses).toBe(3);
  });
});
