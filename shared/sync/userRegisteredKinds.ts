import type { ContactField } from "../contact/contactFields.js";
import { isMaskedContact } from "../contact/isMaskedContact.js";
import type { AuthMethods, PhoneType } from "../directory/directory.js";
import type { ValueHash } from "./pendingValueHash.js";

/**
 * The method writes earlier attempts of this event noted before making them: per field, a keyed hash of the whole
 * value (`pendingValueHash.ts`), and the same hash for the values read back. Never the masked forms: two addresses
 * mask alike (`alex@…` and `anna@…` are both `a***@e***.com`), and a match on a mask would take the user's own
 * method for the event's.
 */
export interface MethodsWrittenEarlier {
  writes: readonly MethodWrittenEarlier[];
  hashOf: ValueHash;
}

/** One noted method write; without `afterHash` (a note from before the hashes) it never matches a value. */
export interface MethodWrittenEarlier {
  field: ContactField;
  afterHash?: string | undefined;
}

/**
 * The kinds of method the user registered themselves, deduplicated (empty when none): every method of another kind
 * than phone or email, and each phone or email method this event did not write itself. A method an earlier attempt
 * of the same event created (its answer lost) is the event's own, not the user's: the keyed hash of its whole value
 * was noted before the write, and a re-plan must find it `unchanged`, not refuse it. Anything else is the user's:
 * a value Graph gave masked (it cannot be hashed whole), a note without a hash, a phone type events never write.
 */
export function userRegisteredKinds(
  methods: AuthMethods,
  writtenEarlier: MethodsWrittenEarlier | undefined,
): string[] {
  const ours = new Set(
    (writtenEarlier?.writes ?? []).flatMap((write) =>
      write.afterHash === undefined ? [] : [`${write.field}\n${write.afterHash}`],
    ),
  );
  const isUsers = (field: ContactField | undefined, value: string) =>
    field === undefined ||
    writtenEarlier === undefined ||
    isMaskedContact(value) ||
    !ours.has(`${field}\n${writtenEarlier.hashOf(field, value)}`);
  const kinds = [
    ...methods.otherMethods.map((method) => method.kind),
    ...(methods.phoneMethods.some((method) => isUsers(fieldOfPhoneType[method.phoneType], method.phoneNumber))
      ? ["phone"]
      : []),
    ...(methods.emailMethods.some((method) => isUsers("alternateEmail", method.emailAddress))
      ? ["email"]
      : []),
  ];
  return [...new Set(kinds)];
}

/** The field whose writes create a phone method of each type (SSPR's alternateMobile is never written). */
const fieldOfPhoneType: Partial<Record<PhoneType, ContactField>> = {
  mobile: "mobilePhone",
  office: "officePhone",
};
