// The library's public surface.
export * from "./diag/diagnostic.js";
export type * as Ast from "./syntax/ast.js";
export { parseRules } from "./syntax/parse.js";
export { compileRules, compileRuleText, loadRuleSet, compileRuleSet, standardRuleFiles, type CompiledRules, type RuleSet } from "./compile/load.js";
export type { Template, Piece, PieceMasks, FieldInfo, GuardExpr } from "./compile/template.js";
export { type DevicePolicy, defaultPolicy, matchDevice } from "./compile/device.js";
export { HOOKS, HOOK_NAMES, LINKS } from "./compile/vocabulary.js";
export { parseLspciDump, parseBinaryConfig, readConfigFile, formatLspciDump, type ConfigDump } from "./host/dump.js";
export { SimulatedDevice } from "./host/simulated.js";
export type { HostDevice, HardwareBehaviour } from "./host/host.js";
export { attach, type DeviceTables, type PlacedLayout, type AttachOptions } from "./runtime/attach.js";
export { VirtualDevice, type HookHandler } from "./runtime/virtual-device.js";
export { DeviceLog, memorySink } from "./runtime/log.js";
export { compiledJsonSchema, templateSchema, loadTemplatesJson, templatesToJson, type CompiledJson } from "./compile/schema.js";
export { openDevice, openSource, readDeviceSource, guestView, exampleDevices, type OpenedDevice, type DeviceSource } from "./open-device.js";
export { standardHooks, type PlatformListener } from "./runtime/hooks.js";
export { parseAccessScript, formatAccessScript, type Access } from "./runtime/script.js";
export { buildImage } from "./compile/image.js";
