import type { ContactField } from "../contact/contactFields.js";
import type { ProfilePatch } from "../directory/directory.js";

/** One contact field's share of a profile PATCH. */
export interface ProfilePatchPart {
  field: ContactField;
  patch: ProfilePatch;
}

const fieldOfProperty: Record<keyof ProfilePatch, ContactField> = {
  mobilePhone: "mobilePhone",
  businessPhones: "officePhone",
  otherMails: "alternateEmail",
};

/**
 * A profile PATCH cut into one PATCH per contact field. Graph refuses a whole PATCH when one of its properties is
 * mastered on premises (a synced user's mobile phone, say), so after such a refusal each field is written on its
 * own: the fields the cloud may write still land, and only the refused one is reported as AD-mastered.
 */
export function profilePatchParts(patch: ProfilePatch): ProfilePatchPart[] {
  return (Object.keys(fieldOfProperty) as Array<keyof ProfilePatch>)
    .filter((property) => patch[property] !== undefined)
    .map((property) => ({ field: fieldOfProperty[property], patch: { [property]: patch[property] } }));
}
