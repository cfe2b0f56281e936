import { describe, expect, it } from "vitest";
import type { BulkDirectory, PhoneType, ProfilePatch, UserRef } from "../../shared/directory/directory.js";
import { DirectoryErrorKind } from "../../shared/directory/directoryError.js";
import { emailMethodId, phoneMethodIds } from "../../shared/graph/graphAuthMethods.js";

/** What the contract asks of a directory: the port with its bulk calls (the privilege picture itself aside). */
export type ContractDirectory = Omit<BulkDirectory, "privilegePicture">;

/** A user of the contract's tenant, in terms both the emulated tenant and the double are seeded with. */
export interface ContractUser {
  id: string;
  userPrincipalName: string;
  employeeId?: string;
  mail?: string;
  mobilePhone?: string;
  businessPhones?: string[];
  otherMails?: string[];
  /** Synced from on-premises AD (Entra Connect masters the office phone). */
  synced?: boolean;
  /** An active Global Administrator. */
  admin?: boolean;
  phoneMethods?: Array<{ phoneType: PhoneType; phoneNumber: string }>;
  emailMethod?: string;
  /** Methods of kinds the app never writes, by kind name. */
  otherMethods?: Array<"microsoftAuthenticator" | "fido2">;
}

/**
 * The tenant's Entra Connect setting the contract varies: with BypassDirSyncOverrides on, AD keeps mastering a
 * synced user's mobile phone too (Graph refuses to override it); off (Graph's default), an admin may override it.
 */
export interface ContractTenant {
  bypassDirSyncOverrides: boolean;
}

const id = (n: number) => `0000dddd-0000-4000-8000-${n.toString().padStart(12, "0")}`;

/** The contract's tenant: each user exists for one rule. Fictional numbers (555-01xx) and example domains. */
export const contractUsers = {
  cloud: {
    id: id(101),
    userPrincipalName: "ana.cloud@contoso.example",
    employeeId: "C-101",
    mail: "ana.cloud@contoso.example",
    mobilePhone: "+1 4255550101",
    businessPhones: ["+1 4255550102"],
    otherMails: ["ana@example.net"],
  },
  synced: {
    id: id(102),
    userPrincipalName: "sam.synced@contoso.example",
    employeeId: "C-102",
    synced: true,
  },
  admin: { id: id(103), userPrincipalName: "gia.admin@contoso.example", employeeId: "C-103", admin: true },
  twinA: { id: id(104), userPrincipalName: "lee.one@contoso.example", employeeId: "C-200" },
  twinB: { id: id(105), userPrincipalName: "lee.two@contoso.example", employeeId: "C-200" },
  registered: {
    id: id(106),
    userPrincipalName: "reg.user@contoso.example",
    employeeId: "C-106",
    phoneMethods: [{ phoneType: "mobile", phoneNumber: "+1 4255550106" }],
    emailMethod: "reg.user@example.org",
    otherMethods: ["microsoftAuthenticator"],
  },
  blank: { id: id(107), userPrincipalName: "new.blank@contoso.example" },
} satisfies Record<string, ContractUser>;
const { cloud, synced, admin, twinA, twinB, registered, blank } = contractUsers;
/** An object id nobody in the tenant has. */
const nobody = id(999);

const mobile = "+1 4255550123";
const office = "+1 4255550124";

/** The error a promise rejects with (or undefined when it resolves). */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (err: unknown) => err,
  );
}

/**
 * What callers rely on from the Directory port (shared/directory/directory.ts), run against the Graph adapter on
 * the emulated tenant and the in-memory double alike, so the double is never more permissive than Graph.
 * `withUsers` gives a directory whose tenant holds the given users (besides any others), fresh for each test.
 */
export function directoryContract(
  name: string,
  withUsers: (users: ContractUser[], tenant: ContractTenant) => Promise<ContractDirectory>,
): void {
  const directory = (tenant: ContractTenant = { bypassDirSyncOverrides: false }) =>
    withUsers(Object.values(contractUsers), tenant);

  describe(`${name}: finding a user`, () => {
    it.each<[string, UserRef, string]>([
      ["its object id", { id: cloud.id }, cloud.id],
      ["its object id in upper case", { id: cloud.id.toUpperCase() }, cloud.id],
      ["its UPN", { userPrincipalName: cloud.userPrincipalName }, cloud.id],
      ["its UPN in another case", { userPrincipalName: "Ana.Cloud@CONTOSO.example" }, cloud.id],
      ["its employeeId", { employeeId: "C-101" }, cloud.id],
      [
        "its object id, before a UPN naming someone else",
        { id: cloud.id, userPrincipalName: synced.userPrincipalName },
        cloud.id,
      ],
      ["its UPN, when the id is blank", { id: " ", userPrincipalName: cloud.userPrincipalName }, cloud.id],
    ])("finds a user by %s", async (_, ref, expected) => {
      expect((await (await directory()).findUser(ref))?.id).toBe(expected);
    });

    it.each<[string, UserRef]>([
      ["an object id", { id: nobody }],
      ["a UPN", { userPrincipalName: "nobody@contoso.example" }],
      ["an employeeId", { employeeId: "C-999" }],
    ])("answers undefined for %s nobody has", async (_, ref) => {
      expect(await (await directory()).findUser(ref)).toBeUndefined();
    });

    it.each<[string, UserRef, DirectoryErrorKind]>([
      ["an employeeId two users share", { employeeId: twinA.employeeId }, DirectoryErrorKind.ambiguous],
      ["a reference naming nobody", {}, DirectoryErrorKind.invalidRequest],
      [
        "a reference of blanks",
        { id: " ", userPrincipalName: "", employeeId: "  " },
        DirectoryErrorKind.invalidRequest,
      ],
    ])("refuses %s (kind %s)", async (_, ref, kind) => {
      expect(await rejectionOf((await directory()).findUser(ref))).toMatchObject({ kind });
    });

    it("reads every contact field in one answer", async () => {
      expect(await (await directory()).findUser({ id: cloud.id })).toMatchObject({
        id: cloud.id,
        userPrincipalName: cloud.userPrincipalName,
        mail: cloud.mail,
        mobilePhone: cloud.mobilePhone,
        businessPhones: cloud.businessPhones,
        otherMails: cloud.otherMails,
        onPremisesSyncEnabled: null,
        employeeId: cloud.employeeId,
      });
    });

    it("reads absent contact data as null and empty lists, and a synced user as synced", async () => {
      const d = await directory();
      expect(await d.findUser({ id: blank.id })).toMatchObject({
        mail: null,
        mobilePhone: null,
        businessPhones: [],
        otherMails: [],
        employeeId: null,
        onPremisesSyncEnabled: null,
      });
      expect(await d.findUser({ id: synced.id })).toMatchObject({ onPremisesSyncEnabled: true });
    });
  });

  describe(`${name}: writing a profile`, () => {
    it.each<[string, ContractUser, ProfilePatch]>([
      ["sets a mobile phone", cloud, { mobilePhone: mobile }],
      ["clears a mobile phone", cloud, { mobilePhone: null }],
      ["sets the one office phone", cloud, { businessPhones: [office] }],
      ["clears the office phone", cloud, { businessPhones: [] }],
      [
        "replaces the whole list of alternate emails",
        cloud,
        { otherMails: ["a@example.com", "b@example.org"] },
      ],
      [
        "writes several properties in one patch",
        blank,
        { mobilePhone: mobile, otherMails: ["a@example.com"] },
      ],
      [
        "sets a synced user's mobile phone (BypassDirSyncOverrides off: an admin may override AD's)",
        synced,
        { mobilePhone: mobile },
      ],
      [
        "sets a synced user's alternate emails (not mastered in AD)",
        synced,
        { otherMails: ["s@example.com"] },
      ],
    ])("%s, and reads it back", async (_, user, patch) => {
      const d = await directory();
      await d.updateProfile(user.id, patch);
      expect(await d.findUser({ id: user.id })).toMatchObject(patch);
    });

    it("refuses a synced user's mobile phone where AD keeps mastering it (BypassDirSyncOverrides on)", async () => {
      const d = await directory({ bypassDirSyncOverrides: true });
      expect(await rejectionOf(d.updateProfile(synced.id, { mobilePhone: mobile }))).toMatchObject({
        kind: DirectoryErrorKind.onPremisesMastered,
      });
      expect(await d.findUser({ id: synced.id })).toMatchObject({ mobilePhone: null });
    });

    it("changes nothing for an empty patch", async () => {
      const d = await directory();
      const before = await d.findUser({ id: cloud.id });
      await d.updateProfile(cloud.id, {});
      expect(await d.findUser({ id: cloud.id })).toEqual(before);
    });

    it.each<[string, string, ProfilePatch, DirectoryErrorKind]>([
      [
        "a second office phone",
        cloud.id,
        { businessPhones: [office, mobile] },
        DirectoryErrorKind.invalidRequest,
      ],
      [
        "a synced user's office phone (AD masters it)",
        synced.id,
        { businessPhones: [office] },
        DirectoryErrorKind.onPremisesMastered,
      ],
      ["an admin's mobile phone", admin.id, { mobilePhone: mobile }, DirectoryErrorKind.privilegedTarget],
      [
        "an admin's alternate emails",
        admin.id,
        { otherMails: ["a@example.com"] },
        DirectoryErrorKind.privilegedTarget,
      ],
      ["a user nobody has", nobody, { mobilePhone: mobile }, DirectoryErrorKind.notFound],
      [
        "a user named by UPN, not object id",
        cloud.userPrincipalName,
        { mobilePhone: mobile },
        DirectoryErrorKind.invalidRequest,
      ],
    ])("refuses %s (kind %s) and changes nothing", async (_, userId, patch, kind) => {
      const d = await directory();
      const before = await d.findUser({ id: userId });
      expect(await rejectionOf(d.updateProfile(userId, patch))).toMatchObject({ kind });
      expect(await d.findUser({ id: userId })).toEqual(before);
    });
  });

  describe(`${name}: authentication methods`, () => {
    it("lists every method the user registered: phone and email as written, other kinds by name", async () => {
      const methods = await (await directory()).listAuthMethods(registered.id);
      expect(methods.phoneMethods).toEqual([
        { id: phoneMethodIds.mobile, phoneNumber: "+1 4255550106", phoneType: "mobile" },
      ]);
      expect(methods.emailMethods).toEqual([{ id: emailMethodId, emailAddress: registered.emailMethod }]);
      expect(methods.otherMethods.map((m) => m.kind)).toEqual(["microsoftAuthenticator"]);
    });

    it("lists no method for a user who registered none", async () => {
      expect(await (await directory()).listAuthMethods(blank.id)).toEqual({
        phoneMethods: [],
        emailMethods: [],
        otherMethods: [],
      });
    });

    it.each<[PhoneType, string]>([
      ["mobile", "+1 4255550131"],
      ["office", "+1 4255550132"],
      ["alternateMobile", "+44 7700900123"],
    ])("adds a %s phone method under Graph's fixed id for its type", async (phoneType, phoneNumber) => {
      const d = await directory();
      const added = await d.addPhoneMethod(blank.id, phoneNumber, phoneType);
      expect(added).toEqual({ id: phoneMethodIds[phoneType], phoneNumber, phoneType });
      expect((await d.listAuthMethods(blank.id)).phoneMethods).toEqual([added]);
    });

    it("adds the email method under its fixed id", async () => {
      const d = await directory();
      const added = await d.addEmailMethod(blank.id, "blank@example.com");
      expect(added).toEqual({ id: emailMethodId, emailAddress: "blank@example.com" });
      expect((await d.listAuthMethods(blank.id)).emailMethods).toEqual([added]);
    });

    it("updates the phone and email methods in place", async () => {
      const d = await directory();
      await d.updatePhoneMethod(registered.id, phoneMethodIds.mobile, "+1 4255550133");
      await d.updateEmailMethod(registered.id, emailMethodId, "moved@example.org");
      const methods = await d.listAuthMethods(registered.id);
      expect(methods.phoneMethods).toEqual([
        { id: phoneMethodIds.mobile, phoneNumber: "+1 4255550133", phoneType: "mobile" },
      ]);
      expect(methods.emailMethods).toEqual([{ id: emailMethodId, emailAddress: "moved@example.org" }]);
    });

    it.each<[string, (d: ContractDirectory) => Promise<unknown>, DirectoryErrorKind]>([
      [
        "a second phone method of a type",
        (d) => d.addPhoneMethod(registered.id, mobile, "mobile"),
        DirectoryErrorKind.invalidRequest,
      ],
      [
        "a second email method",
        (d) => d.addEmailMethod(registered.id, "two@example.com"),
        DirectoryErrorKind.invalidRequest,
      ],
      [
        "a number not in Graph's format",
        (d) => d.addPhoneMethod(blank.id, "(425) 555-0123", "mobile"),
        DirectoryErrorKind.invalidRequest,
      ],
      [
        "an email address that is none",
        (d) => d.addEmailMethod(blank.id, "not an address"),
        DirectoryErrorKind.invalidRequest,
      ],
      [
        "an update of a phone method the user lacks",
        (d) => d.updatePhoneMethod(blank.id, phoneMethodIds.office, office),
        DirectoryErrorKind.notFound,
      ],
      [
        "an update of an email method the user lacks",
        (d) => d.updateEmailMethod(blank.id, emailMethodId, "a@example.com"),
        DirectoryErrorKind.notFound,
      ],
      [
        "a method for an admin",
        (d) => d.addPhoneMethod(admin.id, mobile, "mobile"),
        DirectoryErrorKind.privilegedTarget,
      ],
      [
        "a method for a user nobody has",
        (d) => d.addEmailMethod(nobody, "a@example.com"),
        DirectoryErrorKind.notFound,
      ],
      [
        "listing the methods of a user nobody has",
        (d) => d.listAuthMethods(nobody),
        DirectoryErrorKind.notFound,
      ],
    ])("refuses %s (kind %s)", async (_, call, kind) => {
      expect(await rejectionOf(call(await directory()))).toMatchObject({ kind });
    });
  });

  describe(`${name}: privilege`, () => {
    it.each<[string, string, object]>([
      ["an active Global Administrator is privileged", admin.id, { privileged: true, via: "activeRole" }],
      ["a user with no role is not", cloud.id, { privileged: false }],
      ["a user nobody has is not (nothing is written to them anyway)", nobody, { privileged: false }],
    ])("%s", async (_, userId, expected) => {
      expect(await (await directory()).privilegeOf(userId)).toMatchObject(expected);
    });

    it("answers privilegeOfMany in input order, as privilegeOf would one by one", async () => {
      const answers = await (await directory()).privilegeOfMany([cloud.id, admin.id, synced.id]);
      expect(answers).toMatchObject([
        { privileged: false },
        { privileged: true, via: "activeRole" },
        { privileged: false },
      ]);
    });
  });

  describe(`${name}: bulk calls`, () => {
    it("finds many users in input order, a failed reference as the error in its slot", async () => {
      const found = await (await directory()).findUsers([
        { id: cloud.id },
        { employeeId: "C-999" },
        { employeeId: twinB.employeeId },
        {},
        { userPrincipalName: synced.userPrincipalName },
      ]);
      expect(found).toHaveLength(5);
      expect(found[0]).toMatchObject({ id: cloud.id });
      expect(found[1]).toBeUndefined();
      expect(found[2]).toMatchObject({ kind: DirectoryErrorKind.ambiguous });
      expect(found[3]).toMatchObject({ kind: DirectoryErrorKind.invalidRequest });
      expect(found[4]).toMatchObject({ id: synced.id });
    });

    it("updates many profiles in input order; one refused user spares the rest", async () => {
      const d = await directory();
      const results = await d.updateProfiles([
        { userId: cloud.id, patch: { mobilePhone: mobile } },
        { userId: synced.id, patch: { businessPhones: [office] } },
        { userId: admin.id, patch: { mobilePhone: mobile } },
        { userId: blank.id, patch: {} },
        { userId: nobody, patch: { mobilePhone: mobile } },
        { userId: blank.id, patch: { otherMails: ["b@example.com"] } },
      ]);
      expect(results).toHaveLength(6);
      expect(results[0]).toBeUndefined();
      expect(results[1]).toMatchObject({ kind: DirectoryErrorKind.onPremisesMastered });
      expect(results[2]).toMatchObject({ kind: DirectoryErrorKind.privilegedTarget });
      expect(results[3]).toBeUndefined();
      expect(results[4]).toMatchObject({ kind: DirectoryErrorKind.notFound });
      expect(results[5]).toBeUndefined();
      expect(await d.findUser({ id: cloud.id })).toMatchObject({ mobilePhone: mobile });
      expect(await d.findUser({ id: blank.id })).toMatchObject({ otherMails: ["b@example.com"] });
    });

    it("lists many users' methods in input order", async () => {
      const lists = await (await directory()).listAuthMethodsOf([registered.id, nobody, blank.id]);
      expect(lists).toHaveLength(3);
      expect(lists[0]).toMatchObject({ phoneMethods: [{ phoneType: "mobile" }] });
      expect(lists[1]).toMatchObject({ kind: DirectoryErrorKind.notFound });
      expect(lists[2]).toEqual({ phoneMethods: [], emailMethods: [], otherMethods: [] });
    });

    it("writes many methods in input order, each refusal in its own slot", async () => {
      const d = await directory();
      const results = await d.writeAuthMethods([
        { userId: blank.id, kind: "addPhone", phoneType: "mobile", phoneNumber: mobile },
        { userId: registered.id, kind: "addPhone", phoneType: "mobile", phoneNumber: mobile },
        { userId: admin.id, kind: "addEmail", emailAddress: "a@example.com" },
        {
          userId: registered.id,
          kind: "updateEmail",
          methodId: emailMethodId,
          emailAddress: "r@example.com",
        },
        { userId: blank.id, kind: "updatePhone", methodId: phoneMethodIds.office, phoneNumber: office },
      ]);
      expect(results).toHaveLength(5);
      expect(results[0]).toBeUndefined();
      expect(results[1]).toMatchObject({ kind: DirectoryErrorKind.invalidRequest });
      expect(results[2]).toMatchObject({ kind: DirectoryErrorKind.privilegedTarget });
      expect(results[3]).toBeUndefined();
      expect(results[4]).toMatchObject({ kind: DirectoryErrorKind.notFound });
      expect((await d.listAuthMethods(blank.id)).phoneMethods).toEqual([
        { id: phoneMethodIds.mobile, phoneNumber: mobile, phoneType: "mobile" },
      ]);
      expect((await d.listAuthMethods(registered.id)).emailMethods).toEqual([
        { id: emailMethodId, emailAddress: "r@example.com" },
      ]);
    });
  });
}
