import {
  type EmulatedOtherMethodKind,
  type EmulatedPhoneType,
  type EmulatedUser,
  emailMethodId,
  passwordMethodId,
  phoneMethodIds,
} from "./EmulatedTenant.js";
import {
  badRequest,
  type EmulatorResponse,
  graphError,
  json,
  noContent,
  resourceNotFound,
} from "./emulatorResponse.js";
import type { HandlerContext } from "./userHandlers.js";

/** Graph's strict phone format: `+{country code} {number}` with an optional `x{extension}`. */
const phoneFormat = /^\+(\d{1,3}) (\d{4,14})(?:x(\d{1,10}))?$/;
const emailFormat = /^[\x21-\x7e]+@[\x21-\x7e]+\.[\x21-\x7e]+$/;
const phoneTypes = Object.keys(phoneMethodIds) as EmulatedPhoneType[];

/** Which method resource a route addresses. */
export type MethodRoute =
  | { kind: "authMethods"; key: string }
  | { kind: "phoneMethods"; key: string }
  | { kind: "phoneMethod"; key: string; methodId: string }
  | { kind: "emailMethods"; key: string }
  | { kind: "emailMethod"; key: string; methodId: string };

/**
 * The application permissions Graph accepts per route (least privileged first, as its API pages list them):
 * `/authentication/methods` only with the UserAuthenticationMethod ones ("List methods": Read.All, or ReadWrite.All);
 * the phone and email lists and writes with their own narrow permission too.
 */
function permissionsFor(kind: MethodRoute["kind"], method: string): readonly string[] {
  const write = method !== "GET";
  const broad = write
    ? ["UserAuthenticationMethod.ReadWrite.All"]
    : ["UserAuthenticationMethod.Read.All", "UserAuthenticationMethod.ReadWrite.All"];
  if (kind === "authMethods") return broad;
  const narrow =
    kind === "phoneMethods" || kind === "phoneMethod" ? "UserAuthMethod-Phone" : "UserAuthMethod-Email";
  return [
    ...(write ? [`${narrow}.ReadWrite.All`] : [`${narrow}.Read.All`, `${narrow}.ReadWrite.All`]),
    ...broad,
  ];
}

/** Handles GET/POST/PATCH/DELETE on `/users/{id}/authentication/...`. */
export function handleAuthMethods(ctx: HandlerContext, method: string, route: MethodRoute): EmulatorResponse {
  if (!permissionsFor(route.kind, method).some((permission) => ctx.tenant.hasPermission(permission))) {
    return graphError(
      403,
      "Authorization_RequestDenied",
      "Insufficient privileges to complete the operation.",
    );
  }
  const user = ctx.tenant.find(route.key);
  if (!user) return resourceNotFound(route.key);
  const base = `${ctx.baseUrl}/users/${user.id}/authentication`;
  switch (route.kind) {
    case "authMethods":
      return json(200, {
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
      });
    case "phoneMethods":
      if (method === "GET") {
        return json(200, {
          "@odata.context": `${ctx.baseUrl}/$metadata#users('${user.id}')/authentication/phoneMethods`,
          value: phoneMethods(user),
        });
      }
      return addPhone(ctx, user, base);
    case "phoneMethod":
      return onePhone(ctx, method, user, route.methodId);
    case "emailMethods":
      if (method === "GET") {
        return json(200, {
          "@odata.context": `${ctx.baseUrl}/$metadata#users('${user.id}')/authentication/emailMethods`,
          value: emailMethods(user),
        });
      }
      return addEmail(ctx, user, base);
    case "emailMethod":
      return oneEmail(ctx, method, user, route.methodId);
  }
}

function addPhone(ctx: HandlerContext, user: EmulatedUser, base: string): EmulatorResponse {
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
    { Location: `${base}/phoneMethods/${id}` },
  );
}

function onePhone(
  ctx: HandlerContext,
  method: string,
  user: EmulatedUser,
  methodId: string,
): EmulatorResponse {
  const phoneType = phoneTypes.find((t) => phoneMethodIds[t] === methodId.toLowerCase());
  if (!phoneType || user.phoneMethods[phoneType] === undefined) return methodNotFound(methodId);
  if (method === "GET") return json(200, phoneMethodOf(phoneMethodIds[phoneType], phoneType, user));
  if (method === "DELETE") {
    delete user.phoneMethods[phoneType];
    ctx.stats.countWrite(user.id, `phoneMethods/${phoneType}`);
    return noContent();
  }
  const body = (ctx.body ?? {}) as { phoneNumber?: unknown; phoneType?: unknown };
  if (body.phoneType !== undefined && body.phoneType !== phoneType) {
    return badRequest("The phoneType of an existing method cannot be changed.", "invalidRequest");
  }
  const invalid = phoneProblem(body.phoneNumber);
  if (invalid) return invalid;
  user.phoneMethods[phoneType] = body.phoneNumber as string;
  ctx.stats.countWrite(user.id, `phoneMethods/${phoneType}`);
  return noContent();
}

function addEmail(ctx: HandlerContext, user: EmulatedUser, base: string): EmulatorResponse {
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
    { Location: `${base}/emailMethods/${emailMethodId}` },
  );
}

function oneEmail(
  ctx: HandlerContext,
  method: string,
  user: EmulatedUser,
  methodId: string,
): EmulatorResponse {
  if (methodId.toLowerCase() !== emailMethodId || user.emailMethod === null) return methodNotFound(methodId);
  if (method === "GET") return json(200, { id: emailMethodId, emailAddress: user.emailMethod });
  if (method === "DELETE") {
    user.emailMethod = null;
    ctx.stats.countWrite(user.id, "emailMethods");
    return noContent();
  }
  const body = (ctx.body ?? {}) as { emailAddress?: unknown };
  const invalid = emailProblem(body.emailAddress);
  if (invalid) return invalid;
  user.emailMethod = body.emailAddress as string;
  ctx.stats.countWrite(user.id, "emailMethods");
  return noContent();
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
