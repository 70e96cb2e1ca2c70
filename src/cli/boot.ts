// `cfgvirt boot`: plug devices into a simulated machine and bring them up as a
// guest operating system would (src/platform/guest-os.ts), printing the
// guest's boot log, each step's result and the final lspci-style views.
import { parseArgs } from "node:util";
import { CfgvirtError } from "../diag/diagnostic.js";
import { DEFAULT_EXAMPLE } from "../open-device.js";
import { GuestOs } from "../platform/guest-os.js";
import { Machine } from "../platform/machine.js";
import { type Command, UsageError } from "./command.js";

export const bootCommand: Command = {
  name: "boot",
  summary: "boot a simulated guest that brings up passed-through devices, and check every step",
  help: `usage: cfgvirt boot [--device FILE]... [--reassign] [--vcpus N] [--json]

Plugs each device (default: the example NIC, examples/nic.rules) behind its own
emulated PCI Express Root Port and boots a guest that probes PCI the way Linux
does: scan through ECAM, read IDs, size and assign BARs, enable decoding and
bus mastering, enable MSI-X (else MSI, else INTx) and take an interrupt on the
vCPU it chose, map a page and let the device DMA into it, touch a BAR register
by MMIO and by port I/O, go to D3hot and back, FLR where the function
advertises it, then hot-unplug. Prints the guest's boot log, the steps, and
the final lspci -xxxx view of each device (lspci -F decodes it). Exits 1 when
any step fails.

  --device FILE   an lspci -x/-xxx/-xxxx dump, a binary config file, or a rule
                  file with an \`image\` (repeatable)
  --reassign      move host memory BARs that are not page-aligned to page-aligned
                  addresses first (else such a device is refused)
  --vcpus N       the guest's vCPUs (default 4)
  --json          print the report as JSON
`,
  run(args, io) {
    const { values } = parseArgs({
      args,
      options: {
        device: { type: "string", multiple: true },
        reassign: { type: "boolean", default: false },
        vcpus: { type: "string", default: "4" },
        json: { type: "boolean", default: false },
      },
    });
    const vcpus = Number(values.vcpus);
    if (!Number.isInteger(vcpus) || vcpus < 1 || vcpus > 255) throw new UsageError(`--vcpus must be 1..255, not '${values.vcpus}'`);
    const devices = values.device?.length ? values.device : [DEFAULT_EXAMPLE];
    const dmLog: string[] = [];
    const m = new Machine({ rootPorts: Math.max(4, devices.length), vcpus, log: (l) => dmLog.push(l) });
    const refused: { device: string; step: string; ok: boolean; detail: string }[] = [];
    devices.forEach((path, i) => {
      try {
        m.plug(i + 1, path, { reassign: values.reassign });
      } catch (e) {
        if (!(e instanceof CfgvirtError)) throw e;
        refused.push({ device: path, step: "assign", ok: false, detail: e.diagnostics.map((d) => d.message).join("; ") });
      }
    });
    const report = new GuestOs(m).boot();
    const steps = [...refused, ...report.steps];
    const ok = report.ok && refused.length === 0;
    if (values.json) {
      io.out(JSON.stringify({ ok, vcpus, steps, log: report.log, devices: report.devices, interrupts: { deliveries: report.deliveries, redirections: report.redirections }, deviceModelLog: dmLog }, null, 2) + "\n");
    } else {
      for (const r of refused) io.err(`Error: ${r.detail}\n`);
      io.out(report.log.map((l) => `[guest] ${l}\n`).join(""));
      io.out(steps.map((s) => `${s.ok ? "ok  " : "FAIL"} ${s.device} ${s.step}: ${s.detail}\n`).join(""));
      io.out(`interrupts per vCPU: ${report.deliveries.join(" ")}; redirections: ${report.redirections}\n`);
      for (const l of dmLog) io.out(`${l}\n`);
      for (const d of report.devices) io.out(`\n${d.lspci}`);
    }
    return ok ? 0 : 1;
  },
};
