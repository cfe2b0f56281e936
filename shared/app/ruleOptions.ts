import type { ContactRuleOptions } from "../contact/contactEvent.js";
import { toCountryCode } from "../contact/countryCode.js";
import { ConfigError } from "../core/errors.js";
import type { SyncPolicy } from "../sync/syncPlanner.js";
import type { Settings } from "./config.js";

/** Maps the contact-rule settings (DEFAULT_COUNTRY, PHONE_VALIDATION, ORGANIZATION_DOMAINS) to rule options. */
export function contactRuleOptionsFrom(settings: Settings): ContactRuleOptions {
  const options: ContactRuleOptions = {
    phoneValidation: settings.PHONE_VALIDATION,
    organizationDomains: settings.ORGANIZATION_DOMAINS,
  };
  if (settings.DEFAULT_COUNTRY !== undefined) {
    const code = toCountryCode(settings.DEFAULT_COUNTRY);
    if (code === undefined) {
      throw new ConfigError(
        `DEFAULT_COUNTRY: ${settings.DEFAULT_COUNTRY} is not a region with a telephone numbering plan`,
      );
    }
    options.defaultCountry = code;
  }
  return options;
}

/** The sync policy the settings ask for (CONTACT_TARGET, CONTACT_MODE, SYNCED_MOBILE). */
export function policyFrom(settings: Settings): SyncPolicy {
  return {
    target: settings.CONTACT_TARGET,
    mode: settings.CONTACT_MODE,
    syncedMobile: settings.SYNCED_MOBILE,
    // Event sources by default; the helpdesk fix, an admin's decision, turns it off per request.
    keepUserMethods: true,
  };
}
