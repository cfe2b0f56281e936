import { HttpRequest, type HttpResponseInit, InvocationContext } from "@azure/functions";
import { fixContactInfo } from "../../functions/fixContactInfo.js";
import { getContactInfo } from "../../functions/getContactInfo.js";

/**
 * The env a helpdesk test file runs with: App Service authentication on, as App Service would say it (the flag,
 * and its copy of the authentication settings the template deploys: Entra ID only, authentication required).
 */
export const easyAuthOn = {
  WEBSITE_AUTH_ENABLED: "True",
  WEBSITE_AUTH_V2_CONFIG_JSON: JSON.stringify({
    platform: { enabled: true },
    globalValidation: { requireAuthentication: true, unauthenticatedClientAction: "Return401" },
    identityProviders: { azureActiveDirectory: { enabled: true } },
  }),
};

/** An Easy Auth principal header, as App Service puts it on the request (or as an attacker forges it). */
export function principal(name: string, roles: string[]): string {
  const claims = [{ typ: "name", val: name }, ...roles.map((val) => ({ typ: "roles", val }))];
  return Buffer.from(
    JSON.stringify({ auth_typ: "aad", name_typ: "name", role_typ: "roles", claims }),
  ).toString("base64");
}

/** Headers of a signed-in caller (the default role names). */
export const callers = {
  admin: { "x-ms-client-principal": principal("helpdesk.admin@contoso.example", ["ContactInfo.ReadWrite"]) },
  reader: { "x-ms-client-principal": principal("helpdesk.reader@contoso.example", ["ContactInfo.Read"]) },
  nobody: { "x-ms-client-principal": principal("someone@contoso.example", []) },
};

export const json = { "content-type": "application/json" };

/** A real HttpRequest for an `/api/…` path. */
export function request(
  method: string,
  path: string,
  options: { params?: Record<string, string>; body?: string; headers?: Record<string, string> } = {},
): HttpRequest {
  return new HttpRequest({
    method,
    url: `http://127.0.0.1:7071/api/${path}`,
    params: options.params ?? {},
    headers: options.headers ?? {},
    ...(options.body !== undefined ? { body: { string: options.body } } : {}),
  });
}

/** A real InvocationContext that keeps what the function logs. */
export function context(logs: string[] = []): InvocationContext {
  return new InvocationContext({
    functionName: "test",
    logHandler: (_level, ...args) => logs.push(args.map(String).join(" ")),
  });
}

/** GET contact-info as `headers` (an admin unless said otherwise). */
export const read = (user: string, headers: Record<string, string> = callers.admin) =>
  getContactInfo(request("GET", `users/${user}/contact-info`, { params: { user }, headers }), context());

/** PATCH contact-info as `headers` (an admin sending JSON unless said otherwise). */
export const fix = (
  user: string,
  body: unknown,
  headers: Record<string, string> = { ...json, ...callers.admin },
) =>
  fixContactInfo(
    request("PATCH", `users/${user}/contact-info`, {
      params: { user },
      body: typeof body === "string" ? body : JSON.stringify(body),
      headers,
    }),
    context(),
  );

export const bodyOf = <T = Record<string, unknown>>(response: HttpResponseInit) => response.jsonBody as T;
export const errorCode = (response: HttpResponseInit) =>
  bodyOf<{ error: { code: string } }>(response).error.code;
