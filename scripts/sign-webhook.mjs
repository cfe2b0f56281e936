#!/usr/bin/env node
// Signs a JSON file the way an HR system would and prints a ready curl command for the local host.
// Plain Node, no dependencies. See docs/webhooks.md.
//
//   node scripts/sign-webhook.mjs standard samples/hr-events.json          # Standard Webhooks → /api/hr/events
//   node scripts/sign-webhook.mjs bamboohr samples/bamboohr-webhook.json   # BambooHR HMAC    → /api/hr/bamboohr
//   node scripts/sign-webhook.mjs scim samples/scim-bulk-request.json      # SCIM bearer      → /api/hr/scim
//
// It prints a curl command for a POSIX shell (pipe it to sh), or with --shell powershell an Invoke-WebRequest
// command for PowerShell 7 (pipe it to Invoke-Expression).
//
// Secrets come from --secret/--key/--token or, like the app, from HR_WEBHOOK_SECRETS (first entry),
// BAMBOOHR_WEBHOOK_KEY and SCIM_TOKEN. A signature is valid for 5 minutes: run the printed command soon.
import { createHmac, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

const usage = `usage: node scripts/sign-webhook.mjs <standard|bamboohr|scim> <file.json>
  [--url http://127.0.0.1:7071] [--secret whsec_...] [--key ...] [--token ...] [--id msg_...]
  [--shell sh|powershell]`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    url: { type: "string", default: `http://127.0.0.1:${process.env.PORT ?? "7071"}` },
    secret: { type: "string" },
    key: { type: "string" },
    token: { type: "string" },
    id: { type: "string" },
    shell: { type: "string", default: "sh" },
    help: { type: "boolean", short: "h" },
  },
});
const [kind, file] = positionals;
if (values.help || !kind || !file) exit(usage, values.help ? 0 : 2);
if (values.shell !== "sh" && values.shell !== "powershell")
  exit(`--shell must be sh or powershell.\n${usage}`, 2);

// The exact bytes are signed and curl sends the same file with --data-binary, so nothing can reformat them.
const body = readFileSync(file);
const base = values.url.replace(/\/+$/, "");
const seconds = Math.floor(Date.now() / 1000);

if (kind === "standard") {
  const secret = values.secret ?? (process.env.HR_WEBHOOK_SECRETS ?? "").split(",")[0]?.trim();
  if (!secret) exit("Give --secret whsec_... or set HR_WEBHOOK_SECRETS.");
  if (!secret.startsWith("whsec_")) exit("A Standard Webhooks secret looks like whsec_<base64>.");
  const id = values.id ?? `msg_${randomUUID().replaceAll("-", "")}`;
  const key = Buffer.from(secret.slice("whsec_".length), "base64");
  const signature = createHmac("sha256", key)
    .update(Buffer.concat([Buffer.from(`${id}.${seconds}.`), body]))
    .digest("base64");
  print(`${base}/api/hr/events`, "application/json", {
    "webhook-id": id,
    "webhook-timestamp": String(seconds),
    "webhook-signature": `v1,${signature}`,
  });
} else if (kind === "bamboohr") {
  const key = values.key ?? process.env.BAMBOOHR_WEBHOOK_KEY;
  if (!key) exit("Give --key ... or set BAMBOOHR_WEBHOOK_KEY.");
  const timestamp = String(seconds);
  const signature = createHmac("sha256", key).update(body).update(timestamp).digest("hex");
  print(`${base}/api/hr/bamboohr`, "application/json", {
    "X-BambooHR-Timestamp": timestamp,
    "X-BambooHR-Signature": signature,
  });
} else if (kind === "scim") {
  const token = values.token ?? process.env.SCIM_TOKEN;
  if (!token) exit("Give --token ... or set SCIM_TOKEN.");
  print(`${base}/api/hr/scim`, "application/scim+json", { Authorization: `Bearer ${token}` });
} else {
  exit(usage, 2);
}

function print(url, contentType, headers) {
  if (values.shell === "powershell") {
    // -InFile sends the file's exact bytes, as curl's --data-binary does; PowerShell 7 for -SkipHttpErrorCheck.
    const table = Object.entries(headers)
      .map(([name, value]) => `${psQuote(name)} = ${psQuote(value)}`)
      .join("; ");
    console.log(
      [
        `Invoke-WebRequest -Method Post -Uri ${psQuote(url)} -ContentType ${psQuote(contentType)}`,
        `-Headers @{ ${table} }`,
        `-InFile ${psQuote(file)} -SkipHttpErrorCheck | Select-Object StatusCode, Content | Format-List`,
      ].join(" `\n  "),
    );
    return;
  }
  const lines = [
    `curl -sS -i -X POST ${quote(url)}`,
    `-H ${quote(`Content-Type: ${contentType}`)}`,
    ...Object.entries(headers).map(([name, value]) => `-H ${quote(`${name}: ${value}`)}`),
    `--data-binary @${quote(file)}`,
  ];
  console.log(lines.join(" \\\n  "));
}

/** PowerShell single quotes: the value is passed on exactly ('' is a quote). */
function psQuote(value) {
  return `'${String(value).replaceAll("'", "''")}'`;
}

/** POSIX shell single quotes: the value is passed on exactly. */
function quote(value) {
  return `'${String(value).replaceAll("'", `'\\''`)}'`;
}

function exit(message, code = 1) {
  (code === 0 ? console.log : console.error)(message);
  process.exit(code);
}
