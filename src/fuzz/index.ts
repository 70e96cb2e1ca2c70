// The fuzz harness's public surface (package export `cfgvirt/fuzz`): the
// reference interpreter, the differential harness, and campaigns.
export { ReferenceDevice, type ReferenceOptions, type ReferenceRules, type BitRule } from "./reference/device.js";
export { openPair, openPairFromSource, runPair, resetPair, compareState, checkInvariants, type DevicePair, type PairOptions, type GuestAccess, type Mismatch } from "./harness.js";
export { runCampaign, counterexampleScript, type CampaignOptions, type CampaignResult } from "./campaign.js";
export { accessProfile, accessSequence, hostMutations, applyMutations, type AccessProfile } from "./arbitraries.js";
export { deviceFiles, devicePolicies } from "./policies.js";
