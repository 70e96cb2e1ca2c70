// Disagreements the fuzzers found between the table runtime and the reference
// interpreter (or the specification), pinned as tests. They fail until the
// runtime is fixed.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { openPair } from "../../src/fuzz/harness.js";
import { DEFAULT_EXAMPLE } from "../../src/open-device.js";

function deviceFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), "cfgvirt-finding-")), "device.rules");
  writeFileSync(file, text);
  return file;
}

// attach.ts numbers BARs by their position among the dwords whose fields are
// trap(bar), not by their offset: with BAR 3 overridden, BAR 4 becomes "BAR 3"
// and takes BAR 3's size (16K on the example NIC), so an unimplemented BAR 4
// answers a sizing probe with 0xffffc000 instead of 0.
it("a device file overriding BAR 3 does not give BAR 4 the size of BAR 3", () => {
  const rules = deviceFile(`device "bar3 hidden" match 8086:10d3 {\n  override type0.bar3.bar hide\n}\n`);
  const pair = openPair(DEFAULT_EXAMPLE, { rules: [rules] });
  pair.table.device.write(0x20, 4, 0xffffffff);
  pair.ref.write(0x20, 4, 0xffffffff);
  expect(pair.ref.read(0x20, 4)).toBe(0); // BAR 4 is not implemented on the example NIC
  expect(pair.table.device.read(0x20, 4)).toBe(0);
});
