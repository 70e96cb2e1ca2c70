// The names the language knows beyond its grammar: hooks and structural link
// values. The runtime implements every hook named here (a test checks it).

/** Hooks a field may name with `trap(NAME)`, and what each is for. */
export const HOOKS = {
  bar: "BAR sizing: the writable address bits follow the BAR's size; the BAR is fully virtual",
  rom: "Expansion ROM BAR sizing, as for `bar`",
  msi_enable: "MSI Enable: the platform sets up host MSI with its own address and data",
  msix_control: "MSI-X Enable and Function Mask: the platform mediates the host's MSI-X state",
  power_state: "PMCSR PowerState: the platform decides whether and how the host changes D-state",
  vpd_address: "VPD address/flag handshake: the device model serves VPD data",
  flr: "Initiate Function-Level Reset: the platform resets the function and the virtual state",
  secondary_bus_reset: "Secondary Bus Reset on a bridge: the platform resets what sits below it",
} as const;
export type HookName = keyof typeof HOOKS;
export const HOOK_NAMES = Object.keys(HOOKS) as HookName[];

/**
 * Structural initial values the attach step computes from the visible
 * capability chains, for `emulate(NAME)`.
 */
export const LINKS = {
  next: "the offset of the next capability the guest may see (0 at the end)",
  first_cap: "the offset of the first standard capability the guest may see",
  cap_list: "1 when the guest sees any standard capability",
} as const;
export type LinkName = keyof typeof LINKS;

export function isHookName(name: string): name is HookName {
  return Object.prototype.hasOwnProperty.call(HOOKS, name);
}

export function isLinkName(name: string): name is LinkName {
  return Object.prototype.hasOwnProperty.call(LINKS, name);
}
