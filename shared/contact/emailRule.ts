import { fail, ok, type Result, type RuleIssue } from "../core/result.js";
import { isPlaceholder } from "./isPlaceholder.js";
import { maskEmail } from "./mask.js";

/** How the alternate email is checked: the field it came from and the organization's own domains. */
export interface EmailRuleOptions {
  /** Field name used in issues, e.g. `contact.alternateEmail`. */
  field: string;
  /** Domains of the organization (`ORGANIZATION_DOMAINS`); they and their subdomains are refused. */
  organizationDomains: readonly string[];
}

// Graph caps each otherMails value at 250 characters.
const maxLength = 250;
// RFC 5322 dot-atom: what mail systems and Entra accept without quoting.
const dotAtom = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const hostLabel = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const topLevelDomain = /^[a-z]{2,63}$/;
// Any UTF-16 code unit above 0x7F (surrogates too), without the u flag: one plain class test.
const nonAscii = /[\u0080-\uffff]/;
// The common case in one test; the label-by-label checks below only run to explain a failure.
const validDomain = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const separator = /[\s,;]+/;
// The common case in one test: a dot-atom local part, one @, a domain of host labels and a top-level domain of
// letters. Whatever it matches passes every check of the full path except the three lengths, which are checked
// beside it: a placeholder has no @, a second address needs a second @, and the classes are ASCII.
const plainAddress =
  /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/;

const hintSyntax =
  "Enter one personal address such as name@example.com, without spaces, quotes or display names.";

/** Trims an alternate email and lower-cases its domain, or explains (masked) why SSPR cannot use it. */
export function normalizeEmail(input: string, options: EmailRuleOptions): Result<string> {
  if (typeof input === "string") {
    const text = input.trim();
    const at = text.lastIndexOf("@");
    if (text.length <= maxLength && at <= 64 && text.length - at - 1 <= 253 && plainAddress.test(text)) {
      return withinOrganization(text.slice(0, at), text.slice(at + 1).toLowerCase(), options);
    }
  }
  return normalizeEmailFully(input, options);
}

/**
 * `normalizeEmail` without its one-regex fast path: every check in turn, each failure worded. Exported so a
 * property test can hold the two equal (test/contact/fastPaths.property.test.ts).
 */
export function normalizeEmailFully(input: string, options: EmailRuleOptions): Result<string> {
  const { field } = options;
  if (typeof input !== "string") return fail([syntaxIssue(field, "", "it is not text")]);
  const text = input.trim();
  if (text.length === 0) return fail([syntaxIssue(field, text, "it is empty")]);
  if (text.length > maxLength) {
    return fail([
      issue(
        field,
        "email_too_long",
        `${field} is ${text.length} characters long; Microsoft Graph accepts at most ${maxLength}.`,
        "Check that the field holds a single address and nothing else.",
      ),
    ]);
  }
  if (isPlaceholder(text)) {
    return fail([
      issue(
        field,
        "email_placeholder",
        `${field} holds a placeholder instead of an address.`,
        "Leave the field empty when there is no address: an empty field leaves the user's value as is.",
      ),
    ]);
  }
  if (isSeveralAddresses(text)) {
    return fail([
      issue(
        field,
        "email_multiple",
        `${field} "${shown(text)}" holds several addresses; SSPR uses one alternate email.`,
        "Keep the one personal address the user can read when locked out.",
      ),
    ]);
  }
  if (nonAscii.test(text)) {
    return fail([
      issue(
        field,
        "email_non_ascii",
        `${field} "${shown(text)}" contains accented or other non-ASCII characters, which Microsoft Graph rejects in otherMails.`,
        "Use the address's plain ASCII spelling (ask the user which one actually receives mail).",
      ),
    ]);
  }
  const at = text.lastIndexOf("@");
  if (at < 0) return fail([syntaxIssue(field, text, "it has no @")]);
  const local = text.slice(0, at);
  const domain = text.slice(at + 1).toLowerCase();
  const problem = localPartProblem(local) ?? domainProblem(domain);
  if (problem) return fail([syntaxIssue(field, text, problem)]);

  return withinOrganization(local, domain, options);
}

function withinOrganization(local: string, domain: string, options: EmailRuleOptions): Result<string> {
  const address = `${local}@${domain}`;
  const organizational = organizationalDomainOf(domain, options.organizationDomains);
  return organizational === undefined
    ? ok(address)
    : fail([organizationalIssue(address, organizational, options.field)]);
}

/**
 * The issue for a normalized address inside one of `domains` (or a subdomain of one), else undefined. The
 * rule uses it with ORGANIZATION_DOMAINS; the sync path again with the tenant's verified domains.
 */
export function organizationalEmailIssue(
  address: string,
  domains: readonly string[],
  field = "contact.alternateEmail",
): RuleIssue | undefined {
  const domain = address.slice(address.lastIndexOf("@") + 1).toLowerCase();
  const organizational = organizationalDomainOf(domain, domains);
  return organizational === undefined ? undefined : organizationalIssue(address, organizational, field);
}

// The organization's domain that `domain` (lower case) is or is a subdomain of.
function organizationalDomainOf(domain: string, domains: readonly string[]): string | undefined {
  for (const org of normalizedOf(domains)) {
    if (
      domain.endsWith(org) &&
      (domain.length === org.length || domain[domain.length - org.length - 1] === ".")
    ) {
      return org;
    }
  }
  return undefined;
}

function organizationalIssue(address: string, organizational: string, field: string): RuleIssue {
  return issue(
    field,
    "email_is_organizational",
    `${field} "${shown(address)}" is inside the organization (${organizational}); a locked-out user cannot read it.`,
    "Use a personal address outside the organization, or leave the field empty.",
  );
}

function isSeveralAddresses(text: string): boolean {
  const first = text.indexOf("@");
  if (first < 0 || first === text.lastIndexOf("@")) return false;
  let withAt = 0;
  for (const part of text.split(separator)) if (part.includes("@")) withAt++;
  return withAt > 1;
}

function localPartProblem(local: string): string | undefined {
  if (local.length === 0) return "nothing comes before the @";
  if (local.length > 64) return "the part before the @ is longer than 64 characters";
  if (!dotAtom.test(local)) {
    return "the part before the @ may only hold letters, digits and !#$%&'*+/=?^_`{|}~- separated by single dots";
  }
  return undefined;
}

function domainProblem(domain: string): string | undefined {
  if (domain.length === 0) return "nothing comes after the @";
  if (domain.length > 253) return "the domain is longer than 253 characters";
  if (validDomain.test(domain)) return undefined;
  const labels = domain.split(".");
  if (labels.length < 2) return "the domain has no dot (e.g. example.com)";
  if (!labels.every((label) => hostLabel.test(label))) {
    return "the domain has an empty label or a character other than letters, digits and inner hyphens";
  }
  if (!topLevelDomain.test(labels[labels.length - 1] ?? "")) {
    return "the top-level domain must be at least two letters";
  }
  return undefined;
}

// A domain list is the same array for every record of a run (the settings, the tenant's cached list): normalize
// it once per array, not per address.
const normalizedDomains = new WeakMap<readonly string[], string[]>();
let lastList: readonly string[] | undefined;
let lastDomains: string[] = [];
function normalizedOf(list: readonly string[]): string[] {
  // The last list first: one run uses one list, and a comparison is cheaper than a WeakMap lookup per address.
  if (list === lastList) return lastDomains;
  let domains = normalizedDomains.get(list);
  if (!domains) {
    domains = list.map(normalizeDomain).filter((domain) => domain.length > 0);
    normalizedDomains.set(list, domains);
  }
  lastList = list;
  lastDomains = domains;
  return domains;
}

// Settings may be written "@contoso.com" or "Contoso.com."; compare the bare lower-case name.
function normalizeDomain(domain: string): string {
  return domain
    .trim()
    .toLowerCase()
    .replace(/^[@.]+/, "")
    .replace(/\.+$/, "");
}

function syntaxIssue(field: string, text: string, problem: string): RuleIssue {
  const quoted = text.length > 0 ? ` "${shown(text)}"` : "";
  return issue(
    field,
    "email_invalid_syntax",
    `${field}${quoted} is not a usable email address: ${problem}.`,
    hintSyntax,
  );
}

// maskEmail keeps the domain; cap it so a garbage cell cannot flood a message.
function shown(text: string): string {
  const masked = maskEmail(text);
  return masked.length > 80 ? `${masked.slice(0, 77)}...` : masked;
}

function issue(field: string, code: string, message: string, hint: string): RuleIssue {
  return { field, code, message, hint };
}
