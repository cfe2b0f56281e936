import type { EmulatedUser } from "./emulatedObjects.js";
import {
  badRequest,
  type EmulatorResponse,
  graphError,
  json,
  noContent,
  resourceNotFound,
} from "./emulatorResponse.js";
import type { HandlerContext } from "./HandlerContext.js";
import {
  type EmulatedOtherMethodKind,
  type EmulatedPhoneType,
  emailMethodId,
  passwordMethodId,
  phoneMethodIds,
} from "./TenantSeed.js";

/** Graph's strict phone format: `+{country code} {number}` with an optional `x{extension}`. */
const phoneFormat = /^\+(\d{1,3}) (\d{4,14})(?:x(\d{1,10}))?$/;
const emailFormat = /^[\x21-\x7e]+@[\x21-\x7e]+\.[\x21-\x7e]+$/;
const phoneTypes = Object.keys(phoneMethodIds) as EmulatedPhoneType[];

/** Runs `work` on the user the path names, or answers Graph's 404 for an unknown one. */
function forUser(
  ctx: HandlerContext,
  key: string,
  work: (user: EmulatedUser) => EmulatorResponse,
): EmulatorResponse {
  const user = ctx.tenant.find(key);
  return user ? work(user) : resourceNotFound(key);
}

/** GET /users/{id}/authentication/methods: the password, phone, email and other methods the user has. */
export function listMethods(ctx: HandlerContext, key: string): EmulatorResponse {
  return forUser(ctx, key, (user) =>
    json(200, {
      "@odata.context": `${ctx.baseUrl}/$metadata#users('${user.id}')/authentication/methods`,
      value: [
        {
          "@odata.type": "#microsoft.graph.passwordAuthenticationMethod",
          id: passwordMethodId,
          password: null,
          createdDateTime: user.createdDateTime,
        },
        ...phoneMethods(user).map((m) => ({
          "@odata.type": "#microsoft.graph.phoneAuthenticationMethod",
          ...m,
        })),
        ...emailMethods(user).map((m) => ({
          "@odata.type": "#microsoft.graph.emailAuthenticationMethod",
          ...m,
        })),
        ...user.otherMethods.map((kind, k) => otherMethodOf(kind, k, user)),
      ],
    }),
  );
}

/** GET /users/{id}/authentication/phoneMethods. */
export function listPhoneMethods(ctx: HandlerContext, key: string): EmulatorResponse {
  return forUser(ctx, key, (user) =>
    json(200, {
      "@odata.context": `${ctx.baseUrl}/$metadata#users('${user.id}')/authentication/phoneMethods`,
      value: phoneMethods(user),
    }),
  );
}

/** POST /users/{id}/authentication/phoneMethods: one method per type; a second of a type is refused. */
export function addPhoneMethod(ctx: HandlerContext, key: string): EmulatorResponse {
  return forUser(ctx, key, (user) => {
    const body = (ctx.body ?? {}) as { phoneNumber?: unknown; phoneType?: unknown };
    const phoneType = phoneTypes.find((t) => t === body.phoneType);
    if (!phoneType) return badRequest(`Invalid phoneType '${String(body.phoneType)}'.`, "invalidRequest");
    const invalid = phoneProblem(body.phoneNumber);
    if (invalid) return invalid;
    // One method per type: adding a second of a type is refused, the existing one must be PATCHed.
    if (user.phoneMethods[phoneType] !== undefined) {
      return badRequest(
        `A phone method of type '${phoneType}' already exists for this user.`,
        "invalidRequest",
      );
    }
    user.phoneMethods[phoneType] = body.phoneNumber as string;
    ctx.stats.countWrite(user.id, `phoneMethods/${phoneType}`);
    const id = phoneMethodIds[phoneType];
    return json(
      201,
      {
        "@odata.context": `${ctx.baseUrl}/$metadata#phoneAuthenticationMethod`,
        ...phoneMethodOf(id, phoneType, user),
      },
      { Location: `${ctx.baseUrl}/users/${user.id}/authentication/phoneMethods/${id}` },
    );
  });
}

/** Runs `work` on the user's phone method of that id, or answers 404 for a user or method that isn't there. */
function forPhone(
  ctx: HandlerContext,
  key: string,
  methodId: string,
  work: (user: EmulatedUser, phoneType: EmulatedPhoneType) => EmulatorResponse,
): EmulatorResponse {
  return forUser(ctx, key, (user) => {
    const phoneType = phoneTypes.find((t) => phoneMethodIds[t] === methodId.toLowerCase());
    if (!phoneType || user.phoneMethods[phoneType] === undefined) return methodNotFound(methodId);
    return work(user, phoneType);
  });
}

/** GET /users/{id}/authentication/phoneMethods/{methodId}. */
export function getPhoneMethod(ctx: HandlerContext, key: string, methodId: string): EmulatorResponse {
  return forPhone(ctx, key, methodId, (user, phoneType) =>
    json(200, phoneMethodOf(phoneMethodIds[phoneType], phoneType, user)),
  );
}

/** PATCH /users/{id}/authentication/phoneMethods/{methodId}: a new number; the type cannot change. */
export function updatePhoneMethod(ctx: HandlerContext, key: string, methodId: string): EmulatorResponse {
  return forPhone(ctx, key, methodId, (user, phoneType) => {
    const body = (ctx.body ?? {}) as { phoneNumber?: unknown; phoneType?: unknown };
    if (body.phoneType !== undefined && body.phoneType !== phoneType) {
      return badRequest("The phoneType of an existing method cannot be changed.", "invalidRequest");
    }
    const invalid = phoneProblem(body.phoneNumber);
    if (invalid) return invalid;
    user.phoneMethods[phoneType] = body.phoneNumber as string;
    ctx.stats.countWrite(user.id, `phoneMethods/${phoneType}`);
    return noContent();
  });
}

/** DELETE /users/{id}/authentication/phoneMethods/{methodId}. */
export function deletePhoneMethod(ctx: HandlerContext, key: string, methodId: string): EmulatorResponse {
  return forPhone(ctx, key, methodId, (user, phoneType) => {
    delete user.phoneMethods[phoneType];
    ctx.stats.countWrite(user.id, `phoneMethods/${phoneType}`);
    return noContent();
  });
}

/** GET /users/{id}/authentication/emailMethods. */
export function listEmailMethods(ctx: HandlerContext, key: string): EmulatorResponse {
  return forUser(ctx, key, (user) =>
    json(200, {
      "@odata.context": `${ctx.baseUrl}/$metadata#users('${user.id}')/authentication/emailMethods`,
      value: emailMethods(user),
    }),
  );
}

/** POST /users/{id}/authentication/emailMethods: a user has at most one email method. */
export function addEmailMethod(ctx: HandlerContext, key: string): EmulatorResponse {
  return forUser(ctx, key, (user) => {
    const body = (ctx.body ?? {}) as { emailAddress?: unknown };
    const invalid = emailProblem(body.emailAddress);
    if (invalid) return invalid;
    if (user.emailMethod !== null)
      return badRequest("An email method already exists for this user.", "invalidRequest");
    user.emailMethod = body.emailAddress as string;
    ctx.stats.countWrite(user.id, "emailMethods");
    return json(
      201,
      {
        "@odata.context": `${ctx.baseUrl}/$metadata#emailAuthenticationMethod`,
        id: emailMethodId,
        emailAddress: user.emailMethod,
      },
      { Location: `${ctx.baseUrl}/users/${user.id}/authentication/emailMethods/${emailMethodId}` },
    );
  });
}

/** Runs `work` on the user's email method, or answers 404 for a user or method that isn't there. */
function forEmail(
  ctx: HandlerContext,
  key: string,
  methodId: string,
  work: (user: EmulatedUser) => EmulatorResponse,
): EmulatorResponse {
  return forUser(ctx, key, (user) =>
    methodId.toLowerCase() !== emailMethodId || user.emailMethod === null
      ? methodNotFound(methodId)
      : work(user),
  );
}

/** GET /users/{id}/authentication/emailMethods/{methodId}. */
export function getEmailMethod(ctx: HandlerContext, key: string, methodId: string): EmulatorResponse {
  return forEmail(ctx, key, methodId, (user) =>
    json(200, { id: emailMethodId, emailAddress: user.emailMethod }),
  );
}

/** PATCH /users/{id}/authentication/emailMethods/{methodId}: a new address. */
export function updateEmailMethod(ctx: HandlerContext, key: string, methodId: string): EmulatorResponse {
  return forEmail(ctx, key, methodId, (user) => {
    const body = (ctx.body ?? {}) as { emailAddress?: unknown };
    const invalid = emailProblem(body.emailAddress);
    if (invalid) return invalid;
    user.emailMethod = body.emailAddress as string;
    ctx.stats.countWrite(user.id, "emailMethods");
    return noContent();
  });
}

/** DELETE /users/{id}/authentication/emailMethods/{methodId}. */
export function deleteEmailMethod(ctx: HandlerContext, key: string, methodId: string): EmulatorResponse {
  return forEmail(ctx, key, methodId, (user) => {
    user.emailMethod = null;
    ctx.stats.countWrite(user.id, "emailMethods");
    return noContent();
  });
}

function phoneProblem(value: unknown): EmulatorResponse | undefined {
  if (typeof value !== "string") return badRequest("phoneNumber is required.", "invalidRequest");
  const match = phoneFormat.exec(value);
  // E.164 allows at most 15 digits for country code plus number.
  if (!match || (match[1] ?? "").length + (match[2] ?? "").length > 15) {
    return badRequest(
      "Invalid phone number. Expected format: +{country code} {number}x{extension}, e.g. +1 4255550100.",
      "invalidRequest",
    );
  }
  return undefined;
}

function emailProblem(value: unknown): EmulatorResponse | undefined {
  if (typeof value !== "string" || value.length > 254 || !emailFormat.test(value)) {
    return badRequest("Invalid email address.", "invalidRequest");
  }
  return undefined;
}

function methodNotFound(methodId: string): EmulatorResponse {
  return graphError(
    404,
    "itemNotFound",
    `The authentication method '${methodId}' was not found for this user.`,
  );
}

function phoneMethods(user: EmulatedUser) {
  return phoneTypes
    .filter((t) => user.phoneMethods[t] !== undefined)
    .map((t) => phoneMethodOf(phoneMethodIds[t], t, user));
}

function emailMethods(user: EmulatedUser) {
  return user.emailMethod === null ? [] : [{ id: emailMethodId, emailAddress: user.emailMethod }];
}

/**
 * One method of another kind as "List methods" gives it, shaped as its resource page's JSON representation
 * (api-reference/v1.0/resources/<kind>authenticationmethod.md): microsoftAuthenticatorAuthenticationMethod,
 * fido2AuthenticationMethod, windowsHelloForBusinessAuthenticationMethod, softwareOathAuthenticationMethod (the
 * secret is null on read), temporaryAccessPassAuthenticationMethod (the pass itself is null after creation),
 * platformCredentialAuthenticationMethod. Ids are fixed per user and kind, made up like the pages' examples.
 */
function otherMethodOf(kind: EmulatedOtherMethodKind, index: number, user: EmulatedUser) {
  const id = `${kind.slice(0, 8).padEnd(8, "0")}-${user.id.slice(9, 23)}-${String(index).padStart(12, "0")}`;
  const createdDateTime = user.createdDateTime;
  const base = { "@odata.type": `#microsoft.graph.${kind}AuthenticationMethod`, id };
  switch (kind) {
    case "microsoftAuthenticator":
      return {
        ...base,
        displayName: "Contoso phone",
        deviceTag: "SoftwareTokenActivated",
        phoneAppVersion: "6.2401.0119",
        createdDateTime,
      };
    case "fido2":
      return {
        ...base,
        displayName: "Security key",
        createdDateTime,
        aaGuid: "00000000-0000-0000-0000-000000000000",
        model: "NFC key",
        attestationCertificates: [],
        attestationLevel: "notAttested",
      };
    case "windowsHelloForBusiness":
      return { ...base, displayName: "Contoso laptop", createdDateTime, keyStrength: "normal" };
    case "softwareOath":
      return { ...base, secretKey: null };
    case "temporaryAccessPass":
      return {
        ...base,
        temporaryAccessPass: null,
        createdDateTime,
        startDateTime: createdDateTime,
        lifetimeInMinutes: 60,
        isUsableOnce: true,
        isUsable: true,
        methodUsabilityReason: "EnabledByPolicy",
      };
    case "platformCredential":
      return {
        ...base,
        displayName: "Contoso Mac",
        keyStrength: "normal",
        platform: "macOS",
        createdDateTime,
      };
  }
}

function phoneMethodOf(id: string, phoneType: EmulatedPhoneType, user: EmulatedUser) {
  return { id, phoneNumber: user.phoneMethods[phoneType] ?? null, phoneType, smsSignInState: "notSupported" };
}
