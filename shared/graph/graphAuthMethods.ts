import { appPermissions } from "../directory/appPermissions.js";
import { isUserRegisteredKind, methodKindOfODataType } from "../directory/authMethodKind.js";
import type {
  AuthMethods,
  AuthMethodWrite,
  EmailMethod,
  OtherMethod,
  PhoneMethod,
  PhoneType,
} from "../directory/directory.js";
import type { BatchRequest } from "./graphBatch.js";
import { encodeSegment, userPath } from "./graphPaths.js";

/** Fixed ids Graph gives the phone methods, one per type. */
export const phoneMethodIds = {
  mobile: "3179e48a-750b-4051-897c-87b9720928f7",
  alternateMobile: "b6332ec1-7057-4abe-9331-3d72feddfe41",
  office: "e37fc753-ff3b-4958-9484-eaa9425c82bc",
} as const satisfies Record<PhoneType, string>;

/** Fixed id of the (single) email authentication method. */
export const emailMethodId = "3ddfcfc8-9383-446f-83cc-3ab9be4be18f";

/**
 * The narrowest application permission for each kind of method call, named when Graph answers 403 (it does not
 * protect admins' methods from the app, so a 403 there is a missing grant). Reading is one list of every method the
 * user registered (`/authentication/methods`), whose least privileged permission is the read-only
 * UserAuthenticationMethod.Read.All ("List methods"): an Authenticator or a passkey must be seen to be respected.
 * Writes keep the per-kind permissions; `UserAuthenticationMethod.ReadWrite.All` would cover them too, but it also
 * creates Temporary Access Passes and is never asked for.
 */
export const methodPermissions = {
  read: appPermissions.readAuthMethods.permission,
  phone: "UserAuthMethod-Phone.ReadWrite.All",
  email: "UserAuthMethod-Email.ReadWrite.All",
} as const;

/** The request of one method write, as sent alone or as a `$batch` item (the same POST or PATCH either way). */
export function toMethodRequest(write: AuthMethodWrite): BatchRequest {
  const base = `${userPath(write.userId)}/authentication`;
  switch (write.kind) {
    case "addPhone":
      return {
        method: "POST",
        url: `${base}/phoneMethods`,
        body: { phoneNumber: write.phoneNumber, phoneType: write.phoneType },
        operation: "addPhoneMethod",
      };
    case "updatePhone": {
      const phoneType = phoneTypeOfId(write.methodId);
      return {
        method: "PATCH",
        url: `${base}/phoneMethods/${encodeSegment(write.methodId)}`,
        body: phoneType ? { phoneNumber: write.phoneNumber, phoneType } : { phoneNumber: write.phoneNumber },
        operation: "updatePhoneMethod",
      };
    }
    case "addEmail":
      return {
        method: "POST",
        url: `${base}/emailMethods`,
        body: { emailAddress: write.emailAddress },
        operation: "addEmailMethod",
      };
    case "updateEmail":
      return {
        method: "PATCH",
        url: `${base}/emailMethods/${encodeSegment(write.methodId)}`,
        body: { emailAddress: write.emailAddress },
        operation: "updateEmailMethod",
      };
  }
}

/**
 * Sorts the items of "List methods" by `@odata.type`: phone (phoneNumber, phoneType) and email (emailAddress)
 * methods as the planner reads them, the password left out (every account has one), every other kind by name. A
 * phone or email item without the properties the app reads still counts, as a method of its kind.
 */
export function toAuthMethods(items: readonly unknown[]): AuthMethods {
  const methods: AuthMethods = { phoneMethods: [], emailMethods: [], otherMethods: [] };
  for (const item of items) {
    const kind = methodKindOfODataType((item as { "@odata.type"?: unknown } | null)?.["@odata.type"]);
    if (!isUserRegisteredKind(kind)) continue;
    const phone = kind === "phone" ? toPhoneMethod(item) : undefined;
    const email = kind === "email" ? toEmailMethod(item) : undefined;
    if (phone) methods.phoneMethods.push(phone);
    else if (email) methods.emailMethods.push(email);
    else methods.otherMethods.push(toOtherMethod(kind, item));
  }
  return methods;
}

function toOtherMethod(kind: string, raw: unknown): OtherMethod {
  const id = (raw as { id?: unknown } | null)?.id;
  return typeof id === "string" ? { kind, id } : { kind };
}

/** A phone method as Graph answers it (its type from `phoneType`, or else from its fixed id); undefined if unreadable. */
export function toPhoneMethod(raw: unknown): PhoneMethod | undefined {
  const item = (raw ?? {}) as Record<string, unknown>;
  if (typeof item.id !== "string" || typeof item.phoneNumber !== "string") return undefined;
  const phoneType = isPhoneType(item.phoneType) ? item.phoneType : phoneTypeOfId(item.id);
  return phoneType ? { id: item.id, phoneNumber: item.phoneNumber, phoneType } : undefined;
}

/** An email method as Graph answers it; undefined if unreadable. */
export function toEmailMethod(raw: unknown): EmailMethod | undefined {
  const item = (raw ?? {}) as Record<string, unknown>;
  if (typeof item.id !== "string" || typeof item.emailAddress !== "string") return undefined;
  return { id: item.id, emailAddress: item.emailAddress };
}

function isPhoneType(value: unknown): value is PhoneType {
  return value === "mobile" || value === "alternateMobile" || value === "office";
}

/** The phone type a fixed phone method id stands for; undefined for any other id. */
export function phoneTypeOfId(id: string): PhoneType | undefined {
  const entry = Object.entries(phoneMethodIds).find(([, fixed]) => fixed === id.toLowerCase());
  return entry ? (entry[0] as PhoneType) : undefined;
}
