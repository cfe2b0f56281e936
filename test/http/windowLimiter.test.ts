import { describe, expect, it } from "vitest";
import { authorizeCaller, readers } from "../../shared/http/callerAccess.js";
import { decideAllowance, WindowLimiter } from "../../shared/http/windowLimiter.js";
import type { CounterRow, CounterStore } from "../../shared/sync/counterStore.js";

const limit = { name: "reads", perWindow: 30, windowSeconds: 60 };
const minute = Date.parse("2026-11-24T10:00:00.000Z");
const now = minute + 15_000;

describe("deciding whether a use fits the window", () => {
  it.each<[string, CounterRow | undefined, number, boolean, number]>([
    ["no row yet", undefined, 1, true, 1],
    ["a row of this minute with room", { windowStart: minute, count: 29 }, 1, true, 30],
    ["a row of this minute, spent", { windowStart: minute, count: 30 }, 1, false, 30],
    ["a row of an earlier minute", { windowStart: minute - 60_000, count: 30 }, 1, true, 1],
    // Another instance whose clock runs ahead has started the next minute: its count goes on.
    ["a row of the next minute, spent", { windowStart: minute + 60_000, count: 30 }, 1, false, 30],
    // A hand edit far ahead would lock the caller out for good: not believed.
    ["a row a day ahead", { windowStart: minute + 86_400_000, count: 30 }, 1, true, 1],
    // A count that is no number is no licence: the window counts as spent.
    ["a row whose count is not a number", { windowStart: minute, count: Number.NaN }, 1, false, 30],
    ["a row whose count is negative", { windowStart: minute, count: -1000 }, 1, false, 30],
  ])("%s", (_, row, amount, ok, used) => {
    const { allowance, next } = decideAllowance(row, amount, limit, now);
    expect([allowance.ok, allowance.used]).toEqual([ok, used]);
    expect(next === undefined).toBe(!ok);
  });

  it("refuses an amount over a whole window as such, whatever is left", () => {
    expect(decideAllowance(undefined, 31, limit, now).allowance).toMatchObject({
      ok: false,
      why: "overWholeLimit",
    });
  });

  it("says to come back when the window ends, in whole seconds, at least one", () => {
    const spent = { windowStart: minute, count: 30 };
    expect(decideAllowance(spent, 1, limit, now).allowance).toMatchObject({ retryAfterSeconds: 45 });
    expect(decideAllowance(spent, 1, limit, minute + 59_999).allowance).toMatchObject({
      retryAfterSeconds: 1,
    });
  });
});

describe("a counter raced by too many requests at once", () => {
  it("answers busy (retry in 1 s) after ten lost races, taking nothing", async () => {
    let saves = 0;
    const alwaysRaced: CounterStore = {
      load: async () => ({ row: undefined, version: undefined }),
      save: async () => {
        saves += 1;
        return "conflict";
      },
    };
    const limiter = new WindowLimiter(limit, alwaysRaced, { now: () => now, sleep: async () => undefined });
    expect(await limiter.take("caller")).toMatchObject({ ok: false, why: "busy", retryAfterSeconds: 1 });
    expect(saves).toBe(10);
  });
});

describe("the caller's object id", () => {
  const policy = readers({
    WEBSITE_AUTH_ENABLED: true,
    CONTACT_READER_ROLE: "ContactInfo.Read",
    CONTACT_ADMIN_ROLE: "ContactInfo.ReadWrite",
  });
  const headersWith = (claims: { typ: string; val: string }[]) => {
    const principal = { auth_typ: "aad", claims: [{ typ: "roles", val: "ContactInfo.Read" }, ...claims] };
    const value = Buffer.from(JSON.stringify(principal)).toString("base64");
    return { get: (name: string) => (name === "x-ms-client-principal" ? value : null) };
  };
  const objectIdOf = (claims: { typ: string; val: string }[]) => {
    const access = authorizeCaller(headersWith(claims), policy);
    return access.ok ? access.caller.objectId : "refused";
  };

  it.each([
    [
      "the objectidentifier claim, as Easy Auth writes it",
      [
        {
          typ: "http://schemas.microsoft.com/identity/claims/objectidentifier",
          val: "9B8A7C6D-5E4F-4A3B-8C2D-1E0F9A8B7C6D",
        },
      ],
      "9b8a7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
    ],
    [
      "an oid claim",
      [{ typ: "oid", val: "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d" }],
      "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
    ],
    ["no such claim", [], undefined],
    ["an oid that is no GUID", [{ typ: "oid", val: "mallory" }], undefined],
  ])("is read from %s", (_, claims, expected) => {
    expect(objectIdOf(claims)).toBe(expected);
  });
});
