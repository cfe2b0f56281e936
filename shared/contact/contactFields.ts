/** The contact fields SSPR prepopulation manages, in the order every report lists them. */
export const contactFields = ["mobilePhone", "officePhone", "alternateEmail"] as const;
export type ContactField = (typeof contactFields)[number];

/** Where a field is written: the user's profile (visible in the directory) or their authentication methods. */
export type WriteTarget = "profile" | "methods";

/** Where a field may go: one of the targets, or both. */
export const targetPolicies = ["profile", "methods", "both"] as const;
export type TargetPolicy = (typeof targetPolicies)[number];

/** Where each target policy writes: `both` is the profile and the methods. */
export const writesOf: Record<TargetPolicy, readonly WriteTarget[]> = {
  profile: ["profile"],
  methods: ["methods"],
  both: ["profile", "methods"],
};

/** Whether existing values may be replaced (`overwrite`) or only empty ones filled (`fillEmpty`). */
export const contactModes = ["fillEmpty", "overwrite"] as const;
export type ContactMode = (typeof contactModes)[number];

/** True when `name` is one of the contact fields. */
export function isContactField(name: string): name is ContactField {
  return (contactFields as readonly string[]).includes(name);
}

/** True when `value` is one of the target policies. */
export function isTargetPolicy(value: string): value is TargetPolicy {
  return (targetPolicies as readonly string[]).includes(value);
}

/** The same target for every contact field. */
export function sameTargetForAll(target: TargetPolicy): Record<ContactField, TargetPolicy> {
  return { mobilePhone: target, officePhone: target, alternateEmail: target };
}
