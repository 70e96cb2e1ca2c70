// Identical devices share one set of tables: attach is a pure function of the
// rules, the device policy, the BAR sizes and the configuration bytes, so a
// second identical function costs a hash, not an attach. Each VirtualDevice
// still has its own shadow. Shared tables must not be modified.
import { createHash } from "node:crypto";
import type { CompiledRules } from "../compile/pipeline.js";
import type { DevicePolicy } from "../compile/resolve/device.js";
import { CONFIG_DWORDS, type HostDevice } from "../host/host.js";
import { attach, type AttachOptions } from "./attach.js";
import type { DeviceTables } from "./tables.js";

export class TableCache {
  private readonly byRules = new WeakMap<CompiledRules, Map<string, DeviceTables>>();
  private readonly policyIds = new WeakMap<DevicePolicy, number>();
  private nextPolicyId = 1;
  hits = 0;
  misses = 0;

  attach(compiled: CompiledRules, host: HostDevice, opts: AttachOptions = {}): DeviceTables {
    const key = this.keyOf(host, opts);
    let cache = this.byRules.get(compiled);
    if (!cache) this.byRules.set(compiled, (cache = new Map()));
    const hit = cache.get(key);
    if (hit) {
      this.hits++;
      return hit;
    }
    this.misses++;
    const tables = attach(compiled, host, opts);
    cache.set(key, tables);
    return tables;
  }

  private keyOf(host: HostDevice, opts: AttachOptions): string {
    const bytes = new Uint32Array(CONFIG_DWORDS);
    for (let d = 0; d < CONFIG_DWORDS; d++) bytes[d] = host.read32(d);
    const config = createHash("sha256").update(bytes).digest("hex");
    let policy = 0;
    if (opts.policy) {
      policy = this.policyIds.get(opts.policy) ?? this.nextPolicyId++;
      this.policyIds.set(opts.policy, policy);
    }
    return JSON.stringify([config, host.size, policy, opts.barSizes ?? [], opts.romSize ?? null, opts.inputSizes ?? null, opts.allowBridge ?? false]);
  }
}
