// Every diagnostic code the tool reports: what it means, an input that causes
// it, and how to fix it. `cfgvirt explain-error CODE` prints one entry;
// docs/errors.md lists them all (a test keeps it in step, and compiles or parses
// every example to check that it reports its code).

/** What an example is, so a test can feed it to the right reader. */
export type ExampleKind = "rules" | "script" | "replay" | "dump" | "json" | "command";

export interface ErrorCode {
  readonly code: string;
  readonly title: string;
  readonly explanation: string;
  /** An input that reports this code (for "command", a command line). */
  readonly example: { readonly kind: ExampleKind; readonly text: string };
  readonly fix: string;
}

const HEAD = "capability foo id 0x09 {\n  register header @ 0x00 u16 { [7:0] id RO pass; [15:8] next RO emulate(next) }\n";
const cap = (body: string) => `${HEAD}${body}\n}\n`;

export const ERROR_CODES: readonly ErrorCode[] = [
  {
    code: "E000",
    title: "an error with no code",
    explanation: "A library caller received a CfgvirtError that carried no diagnostic. It is a bug in cfgvirt; please report it with the input.",
    example: { kind: "command", text: "(none: no input is meant to cause it)" },
    fix: "Report the input that caused it.",
  },
  {
    code: "E001",
    title: "syntax error",
    explanation:
      "The rule file does not follow the grammar (grammar/cfgvirt.ohm). The message says what was expected where the text stopped making sense: an item, a statement, an attribute, a policy, a register width, a number. A misspelt keyword or attribute gets a suggestion. Each top-level item is checked on its own, so one file reports every broken item.",
    example: { kind: "rules", text: cap("  register control @ 0x02 u16 { [15:0] enable RWC pass }") },
    fix: "Write what the message expects; `RWC` is `RW1C` here.",
  },
  {
    code: "E002",
    title: "nesting too deep",
    explanation: "Braces, parentheses, `!` prefixes or an `else when` chain nest deeper than 64 levels. No register layout needs that; the limit keeps the parser's recursion bounded on hostile input.",
    example: { kind: "rules", text: `capability foo id 0x09 {\n  when ${"!".repeat(70)}header.id { }\n}\n` },
    fix: "Flatten the guard or the `else when` chain.",
  },
  {
    code: "E003",
    title: "rule file too large",
    explanation: "A rule file is larger than 256 KiB; parsing cost grows with the size of the text, and this bounds it.",
    example: { kind: "command", text: "cfgvirt compile huge.rules" },
    fix: "Split the file into files that `include` each other.",
  },
  {
    code: "E004",
    title: "unclosed `{`",
    explanation:
      "A block (a layout, register, `when`, device file or image) is opened with `{` and never closed. The error points at the `{` that lacks its `}`: when the `}` of an inner block is missing, the indentation of the closing braces that follow tells which block it is.",
    example: { kind: "rules", text: `${HEAD}  register control @ 0x02 u16 {\n    [15:0] enable RW pass\n\ndevice "d" match 8086:* {\n  allow foo\n}\n` },
    fix: "Add the `}` that closes the block, at the indentation of the line that opens it.",
  },
  {
    code: "E101",
    title: "overlapping fields",
    explanation: "Two fields of one register claim the same bit. Every bit of a register belongs to exactly one field.",
    example: { kind: "rules", text: cap("  register control @ 0x02 u16 { [3:0] a RW pass; [2] b RO pass; [15:4] - RsvdP hide }") },
    fix: "Correct the bit ranges so that they do not overlap.",
  },
  {
    code: "E102",
    title: "bad bit range",
    explanation: "A field's bit range is reversed (`[0:3]`) or runs past its register's width.",
    example: { kind: "rules", text: cap("  register control @ 0x02 u16 { [0:15] a RW pass }") },
    fix: "Write the high bit first, and keep bits below the register's width (8, 16 or 32).",
  },
  {
    code: "E103",
    title: "register outside its layout",
    explanation: "A register lies past the 4 KiB configuration space, or past the end of a layout with a fixed size.",
    example: { kind: "rules", text: "capability foo id 0x09 size 4 {\n  register header @ 0x00 u16 { [7:0] id RO pass; [15:8] next RO emulate(next) }\n  register control @ 0x04 u16 { [15:0] a RW pass }\n}\n" },
    fix: "Move the register, or raise the layout's `size`.",
  },
  {
    code: "E104",
    title: "duplicate name or ID",
    explanation:
      "Two layouts share a name or an ID, two registers of one layout (outside different `when` arms) or two fields of one register share a name, or a device file both allows and hides a capability.",
    example: { kind: "rules", text: cap("  register control @ 0x02 u16 { [15:0] a RW pass }\n  register control @ 0x04 u16 { [15:0] a RW pass }") },
    fix: "Rename one of them, or delete the duplicate.",
  },
  {
    code: "E105",
    title: "unknown hook",
    explanation: "`trap(NAME)` names a hook the runtime does not have. The hooks are bar, rom, msi_enable, msix_control, power_state, vpd_address, flr and secondary_bus_reset (`cfgvirt lsp` shows what each does on hover).",
    example: { kind: "rules", text: cap("  register control @ 0x02 u16 { [15:0] enable RW trap(msi_enabel) }") },
    fix: "Use one of the known hooks (the help suggests the nearest), or `emulate`.",
  },
  {
    code: "E106",
    title: "attribute and policy do not fit",
    explanation:
      "A policy makes no sense for the field's attribute: an RsvdZ field passed through, a reserved field trapped or given a non-zero value, or `rest` given a trap or a constant.",
    example: { kind: "rules", text: cap("  register control @ 0x02 u16 { [15:0] - RsvdZ pass }") },
    fix: "Reserved bits are hidden: write `hide`.",
  },
  {
    code: "E107",
    title: "unknown capability in a device file",
    explanation: "A device file's `allow` or `hide` names a capability no layout defines.",
    example: { kind: "rules", text: `${cap("  register control @ 0x02 u16 { [15:0] a RW pass }")}device "d" match 8086:* {\n  allow fooo\n}\n` },
    fix: "Name a capability or extended capability layout (the help suggests the nearest).",
  },
  {
    code: "E108",
    title: "value does not fit",
    explanation: "A constant (in `emulate(N)`, `hide(N)`, `trap(hook, N)`, an `ids` assignment or an image) is wider than its field or register.",
    example: { kind: "rules", text: cap("  register control @ 0x02 u16 { [3:0] a RW emulate(0x10); [15:4] - RsvdP hide }") },
    fix: "Use a value below 2^width.",
  },
  {
    code: "E109",
    title: "misaligned register",
    explanation: "A register starts at an offset that is not a multiple of its width in bytes.",
    example: { kind: "rules", text: cap("  register control @ 0x02 u32 { [31:0] a RW pass }") },
    fix: "Move the register, or split it into narrower registers.",
  },
  {
    code: "E110",
    title: "name that resolves to nothing",
    explanation:
      "A guard, a `size from`, an override, an `ids` assignment or an image names a layout, register or field that does not exist. The help names the nearest existing name, or lists the candidates.",
    example: { kind: "rules", text: `${cap("  register control @ 0x02 u16 { [15:0] enable RW pass }")}device "d" match 8086:* {\n  override foo.control.enabel hide\n}\n` },
    fix: "Correct the name: LAYOUT.REGISTER.FIELD in device files, REGISTER.FIELD within a layout.",
  },
  {
    code: "E111",
    title: "file not found",
    explanation: "An `include` names a file that is neither beside the including file nor in the standard library, or a rule file given on the command line does not exist.",
    example: { kind: "rules", text: 'include "no-such-file.rules"\n' },
    fix: "Correct the path.",
  },
  {
    code: "E112",
    title: "overlapping registers",
    explanation: "Two registers of one layout that can be present together share bytes.",
    example: { kind: "rules", text: cap("  register control @ 0x02 u16 { [15:0] a RW pass }\n  register low @ 0x02 u8 { [7:0] b RW pass }") },
    fix: "Move one, or put variants in different arms of a `when`.",
  },
  {
    code: "E113",
    title: "several hooks in one register",
    explanation: "The fields of one register trap to different hooks; a register is served by one hook.",
    example: { kind: "rules", text: cap("  register control @ 0x02 u16 { [0] a RW trap(msi_enable); [1] b RW trap(flr); [15:2] - RsvdP hide }") },
    fix: "Give the fields the same hook.",
  },
  {
    code: "E114",
    title: "unknown initial value",
    explanation: "`emulate(NAME)` or `trap(hook, NAME)` names a structural value the attach step does not compute. Known: hw, next, first_cap and cap_list.",
    example: { kind: "rules", text: cap("  register control @ 0x02 u16 { [15:0] a RW emulate(nxt) }") },
    fix: "Use hw, a number, or one of the structural values.",
  },
  {
    code: "E115",
    title: "bits no field describes",
    explanation: "Every bit of a register is described, reserved ones too, so that nothing reaches the hardware by omission.",
    example: { kind: "rules", text: cap("  register control @ 0x02 u16 { [7:0] a RW pass }") },
    fix: "Add a field for the missing bits, e.g. `[15:8] - RsvdP hide`.",
  },
  {
    code: "E130",
    title: "a guard or size reads a field that can change",
    explanation:
      "A `when` guard or a `size from` reads a field whose attribute lets the guest or the hardware change it (RW, RW1C, ...). Layouts are chosen once, at attach time, from stable values: only RO and HwInit fields may decide them.",
    example: { kind: "rules", text: cap("  register control @ 0x02 u16 { [0] enable RW pass; [15:1] - RsvdP hide }\n  when control.enable { register extra @ 0x04 u16 { [15:0] v RO pass } }") },
    fix: "Size the layout for its largest variant, or guard on a capability (RO) bit.",
  },
  {
    code: "E131",
    title: "a capability header that differs from the standard one",
    explanation:
      "Every capability starts with the same header (ID and next pointer; extended ones add a version), which the compiler writes for a layout that leaves it out. A layout that writes its register at 0x00 must write exactly that header.",
    example: { kind: "rules", text: "capability foo id 0x09 {\n  register header @ 0x00 u16 { [7:0] id RO pass; [15:8] next RO pass }\n}\n" },
    fix: "Leave the header out, or write it as the help shows.",
  },
  {
    code: "E132",
    title: "a guard compares with an unknown name",
    explanation: "A guard compares a field with a name that is neither a number nor the index of an enclosing `repeat`.",
    example: { kind: "rules", text: cap("  register control @ 0x02 u16 { [0] mode RO pass; [15:1] - RsvdP hide }\n  when control.mode == two { register extra @ 0x04 u16 { [15:0] v RO pass } }") },
    fix: "Compare with a number, or with the index a `repeat INDEX in FIRST..LAST` names.",
  },
  {
    code: "E133",
    title: "unknown register block",
    explanation: "A layout says `use NAME`, and no `registers NAME { ... }` block is loaded.",
    example: { kind: "rules", text: "capability foo id 0x09 {\n  use common_registers\n}\n" },
    fix: "Declare the block, include the file that does, or correct the name.",
  },
  {
    code: "E134",
    title: "`const` on a field that can change",
    explanation:
      "`const` after `RO` says the field cannot change by itself, so `pass` serves it from the attach-time snapshot instead of reading the host on every access. Only RO fields can be marked (HwInit fields are constant already), and `pass(read)` asks for a live read, which `const` contradicts.",
    example: { kind: "rules", text: "capability foo id 0x09 {\n  register status @ 0x02 u16 { [15:0] busy RW1C const pass }\n}\n" },
    fix: "Remove `const`, or use it only on RO fields the hardware never changes (IDs, capability registers).",
  },
  {
    code: "E117",
    title: "number out of range",
    explanation: "A layout ID, a BAR index, a BAR or ROM size, or a device file's byte range is outside what PCI allows.",
    example: { kind: "rules", text: 'device "d" match 8086:* {\n  bar 6 size 4K\n}\n' },
    fix: "BARs are 0 to 5 with power-of-two sizes; ROMs are at least 2K; byte ranges stay within 0..0xfff.",
  },
  {
    code: "E118",
    title: "rule file without an image",
    explanation: "A rule file was given as a device (`--device x.rules`), but it holds no `image` block to build the device's configuration from.",
    example: { kind: "command", text: "cfgvirt view --device rules/msi.rules" },
    fix: "Give a dump, or a rule file with `image \"name\" { ... }`.",
  },
  {
    code: "E119",
    title: "cannot compare",
    explanation: "`cfgvirt diff` was given a device and a rule set; it compares two devices or two rule sets.",
    example: { kind: "command", text: "cfgvirt diff examples/nic.rules rules/" },
    fix: "Give two devices or two rule sets.",
  },
  {
    code: "F001",
    title: "device file not found",
    explanation: "The file given with `--device` does not exist or is not a file.",
    example: { kind: "command", text: "cfgvirt view --device no-such-dump.lspci" },
    fix: "Correct the path.",
  },
  {
    code: "A001",
    title: "not a Type 0 function",
    explanation: "The device is a bridge (header type 1 or 2). Bridges and root ports stay with the host; the platform emulates the ones a guest sees.",
    example: { kind: "command", text: "cfgvirt view --device root-port.lspci" },
    fix: "Pass through an endpoint.",
  },
  {
    code: "A002",
    title: "no header layout",
    explanation: "No rule describes the device's header type (compiled with --no-std and no `header` layout, for example).",
    example: { kind: "command", text: "cfgvirt view --no-std --device dump.lspci" },
    fix: "Add a `header NAME type N` layout, or use the standard library.",
  },
  {
    code: "A003",
    title: "device state pool full",
    explanation: "A DeviceStates pool (the shared flat arrays that hold many devices' virtual state) has no room for another device.",
    example: { kind: "command", text: "(a library caller attaching more devices than the DeviceStates capacity it created)" },
    fix: "Create the DeviceStates with a larger capacity.",
  },
  {
    code: "A004",
    title: "device pool of other tables",
    explanation: "A DeviceStates pool serves devices that share one set of attached tables (identical VFs), so that the hot path reads one set of masks; a device attached with other tables cannot join it.",
    example: { kind: "command", text: "(a library caller passing one DeviceStates to devices attached separately)" },
    fix: "Create one DeviceStates per set of attached tables (attach identical devices once, or through a TableCache).",
  },
  {
    code: "A010",
    title: "physical function without SR-IOV",
    explanation: "A Virtual Function was asked for, but the dump given as its Physical Function has no SR-IOV extended capability.",
    example: { kind: "command", text: "(a VF opened with a PF dump that lacks SR-IOV, e.g. one captured with lspci -xxx)" },
    fix: "Give the PF's own dump with its extended configuration space (lspci -xxxx).",
  },
  {
    code: "A011",
    title: "VF BAR size unknown",
    explanation: "A Virtual Function's BAR address is the PF's VF BAR plus the VF's index times the BAR's size, and that size is not known.",
    example: { kind: "command", text: "(a VF opened without a size for one of its BARs)" },
    fix: "Give the size, e.g. --bar 0=16K.",
  },
  {
    code: "J001",
    title: "not valid JSON",
    explanation: "A compiled-rules JSON file (`--rules FILE.json`) does not parse as JSON.",
    example: { kind: "json", text: '{"templates": [}' },
    fix: "Produce the file with `cfgvirt compile --json`.",
  },
  {
    code: "J002",
    title: "JSON does not match the schema",
    explanation: "A compiled-rules JSON file parses but does not have the shape `cfgvirt compile --json` writes; the message names the path of the bad value (`devices.0.overridden.3.pieces.1.masks.hwRead`).",
    example: { kind: "json", text: '{"templates": 3}' },
    fix: "Produce the file with `cfgvirt compile --json`.",
  },
  {
    code: "J003",
    title: "compiled JSON where rule files are needed",
    explanation: "Compiled rules attach as they are, but they carry no syntax trees: the reference interpreter (`fuzz`, `replay --check`) and `docs` read the rule files themselves.",
    example: { kind: "command", text: "cfgvirt compile --json > all.json && cfgvirt fuzz --device dump.lspci --rules all.json" },
    fix: "Give the .rules files (or a directory of them) instead of the compiled JSON.",
  },
  {
    code: "J004",
    title: "compiled JSON mixed with other rules",
    explanation: "A compiled-rules JSON file is the whole rule set (the standard library included, unless compiled with --no-std), so it stands alone.",
    example: { kind: "command", text: "cfgvirt view --device dump.lspci --rules all.json --rules extra.rules" },
    fix: "Compile every rule file into one JSON (`cfgvirt compile --json a.rules b.rules > all.json`), or give the .rules files.",
  },
  {
    code: "S001",
    title: "unknown access",
    explanation: "A line of an access script starts with something other than `r` or `w`.",
    example: { kind: "script", text: "x 0x04 2\n" },
    fix: "A line is `r OFFSET SIZE` or `w OFFSET SIZE VALUE`.",
  },
  {
    code: "S002",
    title: "wrong number of operands",
    explanation: "`r` takes an offset and a size; `w` takes an offset, a size and a value.",
    example: { kind: "script", text: "w 0x04 2\n" },
    fix: "Write `w 0x04 2 0x0006`.",
  },
  {
    code: "S003",
    title: "not a number",
    explanation: "An operand of an access is not a number.",
    example: { kind: "script", text: "r status 2\n" },
    fix: "Numbers are hex with 0x, or decimal.",
  },
  {
    code: "S004",
    title: "offset past the configuration space",
    explanation: "An access's offset is 0x1000 or more.",
    example: { kind: "script", text: "r 0x1000 4\n" },
    fix: "Offsets are 0 to 0xfff.",
  },
  {
    code: "S005",
    title: "bad access size",
    explanation: "An access's size is not 1, 2 or 4 bytes.",
    example: { kind: "script", text: "r 0x04 3\n" },
    fix: "Use 1, 2 or 4.",
  },
  {
    code: "S006",
    title: "value too wide",
    explanation: "A write's value does not fit its size.",
    example: { kind: "script", text: "w 0x04 1 0x100\n" },
    fix: "Use a value below 2^(8 x size).",
  },
  {
    code: "S007",
    title: "unreadable QEMU trace line",
    explanation: "A line of a QEMU vfio trace (`cfgvirt replay`) is not a `vfio_pci_read_config` or `vfio_pci_write_config` event.",
    example: { kind: "replay", text: "vfio_pci_read_config (0000:01:00.0, 0x0)\n" },
    fix: "Give the trace as QEMU printed it: `vfio_pci_read_config (NAME, @0xOFF, len=0xN) 0xVAL`.",
  },
  {
    code: "S008",
    title: "not a setpci operation",
    explanation: "A setpci line has no register, or an operation that is not REG[+OFF][.b|.w|.l][=VALUE[:MASK][,VALUE...]].",
    example: { kind: "replay", text: "COMMAND.w=0x0006\n=0x5\n" },
    fix: "Write e.g. `COMMAND.w=0x0547` or `CAP_EXP+8.w`.",
  },
  {
    code: "S009",
    title: "unknown setpci register",
    explanation: "A setpci register is neither a setpci name (COMMAND, STATUS, BASE_ADDRESS_0, ...), a hex offset, nor CAP_xxx / ECAP_xxx.",
    example: { kind: "replay", text: "COMMAND.w=0x0006\nCOMAND.w\n" },
    fix: "Use a setpci register name, a hex offset, or a capability name with +OFF.",
  },
  {
    code: "S010",
    title: "setpci register without a width",
    explanation: "A numeric or capability-relative setpci register has no natural width.",
    example: { kind: "replay", text: "COMMAND.w=0x0006\nCAP_MSI+2\n" },
    fix: "Add .b, .w or .l.",
  },
  {
    code: "D001",
    title: "not a dump row",
    explanation: "A line of a configuration dump is neither an lspci slot line nor a row `OFFSET: 16 bytes`.",
    example: { kind: "dump", text: "hello\n00: 86 80 c9 10 07 04 10 00 01 00 00 02 10 00 80 00\n" },
    fix: "Give the output of `lspci -x`, `-xxx` or `-xxxx` for one device.",
  },
  {
    code: "D002",
    title: "rows out of order",
    explanation: "A dump's rows are not consecutive from 00, or run past 4096 bytes.",
    example: { kind: "dump", text: "00: 86 80 c9 10 07 04 10 00 01 00 00 02 10 00 80 00\n20: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n" },
    fix: "Give the dump as lspci printed it.",
  },
  {
    code: "D003",
    title: "short row",
    explanation: "A row of a dump holds other than 16 bytes.",
    example: { kind: "dump", text: "00: 86 80 c9 10 07 04 10 00\n" },
    fix: "Give the dump as lspci printed it.",
  },
  {
    code: "D004",
    title: "several devices in one dump",
    explanation: "A dump holds several devices and the command needs one: choose it with `-s [[[[DOMAIN]:]BUS]:][SLOT][.[FUNC]]`, as lspci does.",
    example: { kind: "command", text: "cfgvirt view --device all-devices.lspci" },
    fix: "Add -s, e.g. -s 00:03.0.",
  },
  {
    code: "D005",
    title: "dump of the wrong size",
    explanation: "A dump holds other than 64, 256 or 4096 bytes.",
    example: { kind: "dump", text: "00: 86 80 c9 10 07 04 10 00 01 00 00 02 10 00 80 00\n" },
    fix: "Capture with `lspci -x` (64 bytes), `-xxx` (256) or `-xxxx` (4096).",
  },
  {
    code: "D006",
    title: "bad device selector",
    explanation: "A `-s` selector is not lspci's [[[[DOMAIN]:]BUS]:][SLOT][.[FUNC]] in hex.",
    example: { kind: "command", text: "cfgvirt view --device all-devices.lspci -s 0g:03" },
    fix: "Write it as lspci does, e.g. -s 00:03.0.",
  },
  {
    code: "D007",
    title: "no device matches the selector",
    explanation: "No device of a multi-device dump matches `-s`; the help lists the devices it holds.",
    example: { kind: "command", text: "cfgvirt view --device all-devices.lspci -s 07:00.0" },
    fix: "Choose one of the listed devices.",
  },
  {
    code: "H001",
    title: "no such PCI device",
    explanation: "A live device named on the command line has no sysfs directory on this machine.",
    example: { kind: "command", text: "cfgvirt view --device 0000:99:00.0" },
    fix: "Name a device `lspci` lists (`cfgvirt list`).",
  },
  {
    code: "H002",
    title: "short read of a device's configuration",
    explanation: "Reading a live device's sysfs config returned fewer bytes than expected (as an unprivileged user, only 64 bytes are readable).",
    example: { kind: "command", text: "cfgvirt view --device 0000:00:1f.0" },
    fix: "Run as root to read the whole configuration space.",
  },
  {
    code: "P001",
    title: "MMIO BAR not page-aligned",
    explanation: "The simulated guest kernel refuses a passed-through device whose MMIO BAR is not page-aligned, as Linux's vfio does.",
    example: { kind: "command", text: "cfgvirt boot --device dump.lspci" },
    fix: "Give BAR sizes of at least 4K, or a device whose BARs are page-aligned.",
  },
  {
    code: "G001",
    title: "simulated guest failure",
    explanation: "A step of the simulated guest's bring-up of a passed-through device failed; the message says which.",
    example: { kind: "command", text: "cfgvirt boot --device dump.lspci" },
    fix: "See the message: it names the register and the value the guest expected.",
  },
  {
    code: "Q001",
    title: "QEMU cannot run",
    explanation: "`cfgvirt qemu` could not start QEMU.",
    example: { kind: "command", text: "cfgvirt qemu --device dump.lspci" },
    fix: "Install the Debian package qemu-system-x86, or set CFGVIRT_QEMU.",
  },
  {
    code: "Q002",
    title: "QEMU without multi-process support",
    explanation: "The QEMU found has no x-pci-proxy-dev device (multi-process QEMU), which `cfgvirt qemu` needs.",
    example: { kind: "command", text: "cfgvirt qemu --device dump.lspci" },
    fix: "Use a QEMU that has it (Debian's qemu-system-x86 7.2 does).",
  },
];

export function errorCode(code: string): ErrorCode | undefined {
  const c = code.toUpperCase();
  return ERROR_CODES.find((e) => e.code === c);
}

const fence = (kind: ExampleKind) => (kind === "command" ? "sh" : kind === "json" ? "json" : "");

/** One entry as Markdown, for the terminal and for docs/errors.md. */
export function renderErrorCode(e: ErrorCode, level = "##"): string {
  return [
    `${level} ${e.code}: ${e.title}`,
    "",
    e.explanation,
    "",
    `Example (${e.example.kind === "command" ? "a command line" : e.example.kind === "rules" ? "a rule file" : e.example.kind === "script" ? "an access script" : e.example.kind === "replay" ? "a replay script (setpci or QEMU trace)" : e.example.kind === "dump" ? "a dump" : "compiled JSON"}):`,
    "",
    "```" + fence(e.example.kind),
    e.example.text.trimEnd(),
    "```",
    "",
    `Fix: ${e.fix}`,
  ].join("\n");
}

/** docs/errors.md: every code, with a table of contents. */
export function renderErrorCatalogue(): string {
  return [
    "# cfgvirt error codes",
    "",
    "Generated by `cfgvirt explain-error --all > docs/errors.md`; `cfgvirt explain-error CODE` prints one entry.",
    "",
    ...ERROR_CODES.map((e) => `- [${e.code}](#${e.code.toLowerCase()}-${e.title.toLowerCase().replace(/[^a-z0-9 -]/g, "").replace(/ /g, "-")}): ${e.title}`),
    "",
    ...ERROR_CODES.map((e) => renderErrorCode(e) + "\n"),
  ].join("\n");
}
