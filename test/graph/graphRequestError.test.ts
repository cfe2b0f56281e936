import { GraphError } from "@microsoft/microsoft-graph-client";
import { describe, expect, it } from "vitest";
import {
  GraphRequestError,
  maskContactValues,
  onPremisesMasteredMessage,
  retryAfterMsOf,
} from "../../shared/graph/graphRequestError.js";

function answer(status: number, code: string, message: string, headers: Record<string, string> = {}) {
  return { status, headers, body: { error: { code, message, innerError: { "request-id": "req-1" } } } };
}

describe("GraphRequestError", () => {
  it.each([
    [401, "InvalidAuthenticationToken", "Access token is empty.", "unauthorized"],
    [403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.", "forbidden"],
    [404, "Request_ResourceNotFound", "Resource 'x' does not exist.", "notFound"],
    [429, "TooManyRequests", "Too many requests.", "throttled"],
    [400, "Request_BadRequest", onPremisesMasteredMessage, "onPremisesMastered"],
    [
      400,
      "Request_BadRequest",
      "Unable to update the specified properties for objects that have originated within an external service.",
      "onPremisesMastered",
    ],
    [
      400,
      "Request_BadRequest",
      "unable to update the specified properties for on-premises mastered directory sync objects.",
      "onPremisesMastered",
    ],
    [
      400,
      "Request_BadRequest",
      "Invalid value specified for property 'mobilePhone' of resource 'User'.",
      "invalidRequest",
    ],
    [409, "Conflict", "Conflict.", "invalidRequest"],
    [500, "InternalServerError", "Oops.", "transient"],
    [503, "serviceNotAvailable", "Later.", "transient"],
    [504, "GatewayTimeout", "Timed out.", "transient"],
  ])("maps HTTP %s %s to %s", (status, code, message, kind) => {
    const err = GraphRequestError.fromResponse("updateProfile", answer(status, code, message));
    expect(err).toMatchObject({ kind, statusCode: status, graphCode: code, requestId: "req-1" });
    expect(err.name).toBe("GraphRequestError");
  });

  it.each([
    ["seconds", "7", 7000],
    ["an HTTP date", new Date(Date.UTC(2030, 0, 1, 0, 0, 30)).toUTCString(), 30_000],
  ])("reads Retry-After given in %s", (_, value, ms) => {
    expect(retryAfterMsOf({ "Retry-After": value }, Date.UTC(2030, 0, 1, 0, 0, 0))).toBe(ms);
  });

  it("reads the SDK's GraphError, whose body is the inner error serialized", () => {
    const sdk = new GraphError(429, "Too many requests.");
    sdk.code = "TooManyRequests";
    sdk.body = JSON.stringify({
      code: "TooManyRequests",
      message: "Too many requests.",
      innerError: { "request-id": "r-9" },
    });
    sdk.headers = new Headers({ "Retry-After": "3" });
    const err = GraphRequestError.fromThrown("findUser", sdk);
    expect(err).toMatchObject({
      kind: "throttled",
      statusCode: 429,
      requestId: "r-9",
      retryAfterMs: 3000,
      cause: sdk,
    });
  });

  it.each([
    [
      "a network failure",
      Object.assign(new GraphError(-1, "fetch failed"), { code: "TypeError" }),
      "no response",
    ],
    [
      "an aborted attempt",
      new DOMException("The operation was aborted due to timeout", "TimeoutError"),
      "timed out",
    ],
  ])("maps %s to transient with no status", (_, thrown, text) => {
    const err = GraphRequestError.fromThrown("findUser", thrown);
    expect(err).toMatchObject({ kind: "transient", statusCode: 0, retryable: true });
    expect(err.message).toContain(text);
  });

  it("masks emails and phone numbers Graph echoes, but keeps ids", () => {
    const err = GraphRequestError.fromResponse(
      "updateProfile",
      answer(
        404,
        "Request_ResourceNotFound",
        "Resource 'jonas.weber@contoso.example' does not exist; +49 15123456789.",
      ),
    );
    expect(err.message).toBe(
      "updateProfile failed: HTTP 404 Request_ResourceNotFound: Resource 'j***@c***.example' does not exist; +49 ***789.",
    );
    expect(maskContactValues("user 3179e48a-750b-4051-897c-87b9720928f7 at (425) 555-0147")).toBe(
      "user 3179e48a-750b-4051-897c-87b9720928f7 at ***147",
    );
  });
});
