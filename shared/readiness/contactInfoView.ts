import { maskEmail, maskPhone } from "../contact/mask.js";
import type { AuthMethods, UserContactState } from "../directory/directory.js";
import type { FieldReadiness } from "./readiness.js";

/** Whose eyes the view is for: an admin sees values whole, a reader (helpdesk) only masked. */
export type Viewer = "admin" | "reader";

/** The helpdesk's view of one user's SSPR contact data (the body of GET contact-info). */
export interface ContactInfoView {
  user: {
    id: string;
    userPrincipalName: string;
    employeeId: string | null;
    onPremisesSyncEnabled: boolean | null;
  };
  profile: { mobilePhone: string | null; businessPhones: string[]; otherMails: string[] };
  methods: AuthMethods | null;
  methodsNote?: string;
  readiness: FieldReadiness[];
  ssprReady: boolean;
  /** Present for readers: says the values are masked and which role shows them whole. */
  masked?: string;
}

/**
 * Builds the view from full values; readiness is judged on those, then, for a reader, every contact value in
 * it (profile, methods, each verdict's value and canonical form) is masked. Phone numbers and alternate emails
 * are what SSPR sends reset codes to, so knowing them whole is a step towards taking an account over.
 */
export function contactInfoView(
  user: UserContactState,
  methods: AuthMethods | undefined,
  readiness: readonly FieldReadiness[],
  options: { viewer: Viewer; methodsNote?: string; adminRole: string },
): ContactInfoView {
  const reader = options.viewer === "reader";
  const phone = (value: string) => (reader ? maskPhone(value) : value);
  const email = (value: string) => (reader ? maskEmail(value) : value);
  return {
    user: {
      id: user.id,
      userPrincipalName: user.userPrincipalName,
      employeeId: user.employeeId,
      onPremisesSyncEnabled: user.onPremisesSyncEnabled,
    },
    profile: {
      mobilePhone: user.mobilePhone === null ? null : phone(user.mobilePhone),
      businessPhones: user.businessPhones.map(phone),
      otherMails: user.otherMails.map(email),
    },
    methods: methods
      ? {
          phoneMethods: methods.phoneMethods.map((m) => ({ ...m, phoneNumber: phone(m.phoneNumber) })),
          emailMethods: methods.emailMethods.map((m) => ({ ...m, emailAddress: email(m.emailAddress) })),
          // Kinds and ids only (Authenticator, FIDO2, …): what makes the methods the user's own, no personal data.
          otherMethods: methods.otherMethods.map((m) => ({ ...m })),
        }
      : null,
    ...(options.methodsNote ? { methodsNote: options.methodsNote } : {}),
    readiness: readiness.map((r) => {
      const mask = r.field === "alternateEmail" ? email : phone;
      return {
        ...r,
        ...(r.value === undefined ? {} : { value: mask(r.value) }),
        ...(r.canonical === undefined ? {} : { canonical: mask(r.canonical) }),
      };
    }),
    ssprReady: readiness.some(
      (r) => r.verdict === "usable" && (r.field === "mobilePhone" || r.field === "alternateEmail"),
    ),
    ...(reader
      ? { masked: `contact values are masked; callers with the ${options.adminRole} role see them whole` }
      : {}),
  };
}
