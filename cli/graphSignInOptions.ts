import type { TokenCredential } from "@azure/identity";
import type { Settings } from "../shared/app/config.js";
import {
  checkGraphAccess,
  type GraphAccessNeeds,
  type GraphSignIn,
  type GraphSignInRequest,
  graphScopeOf,
  graphSignInFor,
  readTokenClaims,
} from "../shared/app/graphSignIn.js";
import { directoryFailureOf } from "../shared/directory/directoryFailure.js";
import type { CommandIo } from "./commandIo.js";
import { UsageError } from "./usageError.js";

/** The sign-in options `backfill` and `report` share, for their --help. */
export const authOptions = `  --auth A          how to sign in to Graph: cli (your az login; the default), device-code (a code to enter at
                    https://microsoft.com/devicelogin), managed-identity, or app (a client secret or certificate
                    in AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET); default GRAPH_AUTH
  --tenant ID       the tenant to sign in to: its id or domain (default AZURE_TENANT_ID)
  --client-id ID    with device-code: your app registration holding the delegated permissions (docs/backfill.md)`;

/** The parseArgs values the sign-in reads. */
interface SignInValues {
  auth?: string | undefined;
  tenant?: string | undefined;
  "client-id"?: string | undefined;
}

/** The sign-in the command line asks for (unset options fall back to GRAPH_AUTH and AZURE_TENANT_ID). */
export function signInRequestOf(values: SignInValues): GraphSignInRequest {
  return { auth: values.auth, tenant: values.tenant, clientId: values["client-id"] };
}

/**
 * Signs in and checks, before any row: gets a Graph token (a sign-in that fails stops here with its reason), then
 * reads what it grants against what the run needs and stops (exit 2) naming each missing permission or role and
 * the fix. Returns the credential for the run, or undefined for the emulator's static token.
 */
export async function signInChecked(
  command: string,
  settings: Settings,
  request: GraphSignInRequest,
  needs: GraphAccessNeeds,
  io: CommandIo,
  injected?: GraphSignIn,
): Promise<SignedIn> {
  const signIn =
    injected ??
    graphSignInFor(settings, { ...request, onDeviceCode: (message) => io.stderr.write(`${message}\n`) });
  const credential = signIn.credential;
  if (!credential) return {};
  let token: string;
  try {
    const answer = await credential.getToken(graphScopeOf(settings));
    if (!answer)
      throw new UsageError(`The sign-in (--auth ${signIn.mode}) gave no token for Microsoft Graph.`);
    token = answer.token;
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(
      `Cannot sign in to Microsoft Graph (--auth ${signIn.mode}): ${directoryFailureOf(err).reason}.`,
      { cause: err },
    );
  }
  const check = checkGraphAccess(token, signIn, needs);
  for (const note of check.notes) io.stderr.write(`sspr-prepop ${command}: note: ${note}\n`);
  if (check.problems.length > 0) {
    throw new UsageError(
      `stopped before the first row: ${check.problems.length === 1 ? check.problems[0] : `\n  ${check.problems.join("\n  ")}`}.`,
    );
  }
  io.stderr.write(
    `sspr-prepop ${command}: signed in (--auth ${signIn.mode}${signIn.tenant ? `, tenant ${signIn.tenant}` : ""}); Graph permissions checked\n`,
  );
  const signedInAs = readTokenClaims(token)?.signedInAs;
  return { credential, ...(signedInAs ? { signedInAs } : {}) };
}

/** The sign-in a command runs with, and who it is (from the token) for the outcomes' actor. */
export interface SignedIn {
  credential?: TokenCredential;
  signedInAs?: string;
}
