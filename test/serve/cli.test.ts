// `cfgvirt serve`: one device on a UNIX socket until the peer hangs up.
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Cmd, configBody, encodeMessage } from "../../src/serve/protocol.js";
import { cli } from "../helpers/cli.js";

describe("cfgvirt serve", () => {
  it("requires --socket", async () => {
    const r = await cli("serve");
    expect(r.code).toBe(2);
    expect(r.err).toContain("--socket PATH is required");
  });

  it("refuses to replace a file that is not a socket, and names a path it cannot listen on", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cfgvirt-serve-cli-"));
    const file = join(dir, "not-a-socket");
    writeFileSync(file, "keep me");
    const r = await cli("serve", "--socket", file);
    expect(r.code).toBe(2);
    expect(r.err).toContain("exists and is not a socket");
    const bad = await cli("serve", "--socket", join(dir, "missing-dir", "s"));
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/error\[S001\]: cannot listen on/);
    expect(bad.err).not.toMatch(/\n\s+at /);
  });

  it("serves the example NIC to a peer and reports the accesses when it hangs up", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "cfgvirt-serve-cli-")), "nic.sock");
    const running = cli("serve", "--socket", path);
    for (let i = 0; i < 200 && !existsSync(path); i++) await new Promise((r) => setTimeout(r, 10));
    const client = connect(path);
    const got: Buffer[] = [];
    client.on("data", (b) => got.push(b));
    await new Promise<void>((r) => client.once("connect", () => r()));
    client.write(Buffer.concat([encodeMessage(Cmd.PCI_CFGREAD, configBody(0, 0, 4)), encodeMessage(Cmd.DEVICE_RESET, new Uint8Array(0))]));
    for (let i = 0; i < 200 && Buffer.concat(got).length < 48; i++) await new Promise((r) => setTimeout(r, 10));
    client.end();
    const r = await running;
    const answers = Buffer.concat(got);
    expect(answers.length).toBe(48);
    expect(answers.readBigUInt64LE(16)).toBe(0x10d38086n);
    expect(r.code).toBe(0);
    expect(r.err).toContain("listening on");
    expect(r.err).toMatch(/2 accesses served \(config 1 reads, 0 writes; BAR 0 reads, 0 writes; 1 resets; 0 malformed\)/);
    expect(existsSync(path)).toBe(false);
  });
});
