import { ensureErrorType } from "../core/errors.js";
import type { AuthMethods, AuthMethodWrite, Directory, Privilege } from "../directory/directory.js";
import { directoryFailureOf } from "../directory/directoryFailure.js";
import type { SyncDirectory } from "./syncUsers.js";
import { retriesTheEvent } from "./writeFailure.js";

/**
 * The directory of one event (a queue message, a helpdesk fix) in the bulk shape `syncUsers` and `applyPlans`
 * take: each item is one single call (one GET, one PATCH, one POST …, never `$batch`), sent in order. A failure
 * worth retrying the event for (`retriesTheEvent`) is thrown at once and nothing after it is sent, so the
 * caller's retry policy decides; any other failure is that item's answer. A method read throws whatever failed,
 * as a single read always has: the event is tried again rather than planned without them. With `waitsForGrants`
 * (the queue) a missing permission is thrown too, so the event waits for the grant instead of ending.
 */
export function oneUserDirectory(
  directory: Directory,
  options: { waitsForGrants?: boolean } = {},
): SyncDirectory {
  const inTurn = <T, A>(items: readonly T[], send: (item: T) => Promise<A>) =>
    eachInTurn(items, send, options.waitsForGrants === true);
  return {
    privilegeOfMany: (userIds) => inTurn(userIds, (id): Promise<Privilege> => directory.privilegeOf(id)),
    listAuthMethodsOf: async (userIds) => {
      const methods: AuthMethods[] = [];
      for (const id of userIds) methods.push(await directory.listAuthMethods(id));
      return methods;
    },
    updateProfiles: (updates) =>
      inTurn(updates, async (update) => {
        await directory.updateProfile(update.userId, update.patch);
        return undefined;
      }),
    writeAuthMethods: (writes) =>
      inTurn(writes, async (write) => {
        await sendMethodWrite(directory, write);
        return undefined;
      }),
  };
}

/** Each item's answer in turn; throws the first failure the event is retried for, sending nothing after it. */
async function eachInTurn<T, A>(
  items: readonly T[],
  send: (item: T) => Promise<A>,
  waitsForGrants: boolean,
): Promise<Array<A | Error>> {
  const answers: Array<A | Error> = [];
  for (const item of items) {
    try {
      answers.push(await send(item));
    } catch (err) {
      if (retriesTheEvent(directoryFailureOf(err), waitsForGrants)) throw err;
      answers.push(ensureErrorType(err));
    }
  }
  return answers;
}

/** One method write as the single Directory call it names (POST or PATCH of a phone or email method). */
export function sendMethodWrite(directory: Directory, write: AuthMethodWrite): Promise<unknown> {
  switch (write.kind) {
    case "addPhone":
      return directory.addPhoneMethod(write.userId, write.phoneNumber, write.phoneType);
    case "updatePhone":
      return directory.updatePhoneMethod(write.userId, write.methodId, write.phoneNumber);
    case "addEmail":
      return directory.addEmailMethod(write.userId, write.emailAddress);
    case "updateEmail":
      return directory.updateEmailMethod(write.userId, write.methodId, write.emailAddress);
  }
}
