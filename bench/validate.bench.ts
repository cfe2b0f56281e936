/**
 * `npm run bench:validate`: 100k generated HR records through the `validate` pipeline (the code the CLI runs),
 * compared in the same process with a bare libphonenumber-js loop over the same phone numbers. The ratio says
 * how much the schema, email rule, country names, masking and output cost on top of phone parsing itself.
 */
import { Readable } from "node:stream";
import {
  type CountryCode,
  getCountries,
  getExampleNumber,
  parsePhoneNumberWithError,
} from "libphonenumber-js/max";
import examples from "libphonenumber-js/mobile/examples";
import { readCsvRecords } from "../cli/readCsvRecords.js";
import { toOutputLine } from "../cli/toOutputLine.js";
import type { ContactRuleOptions } from "../shared/contact/contactEvent.js";
import { type SourceRecord, validateRecord } from "../shared/contact/validateStream.js";

const recordCount = 100_000;
const roundCount = 3;

interface Generated {
  event: Record<string, unknown>;
  /** What the bare loop gets: the same phone strings with the region already resolved. */
  phones: { text: string; region: CountryCode | undefined }[];
}

// Deterministic, so runs compare: a small LCG instead of Math.random.
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

const countryNames: Partial<Record<CountryCode, string>> = {
  US: "United States",
  DE: "Germany",
  GB: "United Kingdom",
  FR: "France",
  ES: "Spain",
  IT: "Italy",
  JP: "Japan",
  BR: "Brazil",
  IN: "India",
  AU: "Australia",
};

function generate(count: number): Generated[] {
  const next = random(42);
  const pool = getCountries().flatMap((region) => {
    const number = getExampleNumber(region, examples);
    return number ? [{ region, number }] : [];
  });
  const records: Generated[] = [];
  for (let i = 0; i < count; i++) {
    const { region, number } = pool[Math.floor(next() * pool.length)] ?? {
      region: "US" as const,
      number: undefined,
    };
    const roll = next();
    // The mix an HR export shows: mostly national numbers with a country, some international, some extensions,
    // a few typos; half the rows also carry a NANP office number.
    const mobile =
      number === undefined
        ? "(425) 555-0147"
        : roll < 0.55
          ? number.formatNational()
          : roll < 0.85
            ? number.formatInternational()
            : roll < 0.95
              ? `${number.formatNational()} x${i % 1000}`
              : number.formatNational().slice(0, -2);
    const office = next() < 0.5 ? `+1 (425) 555-01${String(i % 100).padStart(2, "0")}` : undefined;
    const country = next() < 0.7 ? region : (countryNames[region] ?? region);
    const contact: Record<string, string> = { mobilePhone: mobile, alternateEmail: `user${i}@Example.com` };
    if (office) contact.officePhone = office;
    records.push({
      event: {
        eventId: `bench-${i}`,
        source: "bench",
        occurredAt: "2026-11-24T09:00:00Z",
        user: { employeeId: `E${i}` },
        country,
        contact,
      },
      phones: [{ text: mobile, region }, ...(office ? [{ text: office, region }] : [])],
    });
  }
  return records;
}

const rules: ContactRuleOptions = { phoneValidation: "valid", organizationDomains: ["contoso.example"] };

/** Wall-clock and CPU seconds of one timed section. */
interface Timing {
  seconds: number;
  cpuSeconds: number;
}

function startTiming(): () => Timing {
  const wall = performance.now();
  const cpu = process.cpuUsage();
  return () => {
    const used = process.cpuUsage(cpu);
    return { seconds: (performance.now() - wall) / 1000, cpuSeconds: (used.user + used.system) / 1e6 };
  };
}

async function pipeline(records: Generated[]): Promise<Timing & { valid: number; bytes: number }> {
  const source: SourceRecord[] = records.map((record, index) => ({ line: index + 1, input: record.event }));
  const stop = startTiming();
  let valid = 0;
  let bytes = 0;
  // As `validate` does with each batch a reader hands over: validate a record, render it, go on.
  for (const input of source) {
    const record = validateRecord(input, rules);
    if (record.result.ok) valid++;
    bytes += toOutputLine(record).length;
  }
  return { ...stop(), valid, bytes };
}

function bare(records: Generated[]): Timing & { valid: number } {
  const stop = startTiming();
  let valid = 0;
  for (const record of records) {
    let recordValid = true;
    for (const { text, region } of record.phones) {
      try {
        const phone = parsePhoneNumberWithError(text, { defaultCountry: region });
        if (phone.isValid()) {
          const canonical = `+${phone.countryCallingCode} ${phone.nationalNumber}`;
          if (canonical.length === 0) recordValid = false;
        } else recordValid = false;
      } catch {
        recordValid = false;
      }
    }
    if (recordValid) valid++;
  }
  return { ...stop(), valid };
}

async function csvPipeline(records: Generated[]): Promise<number> {
  const header = "employeeId,country,mobilePhone,officePhone,alternateEmail\n";
  const quote = (value: unknown) => (typeof value === "string" ? `"${value.replace(/"/g, '""')}"` : "");
  const rows = records.map(({ event }) => {
    const contact = event.contact as Record<string, string>;
    const user = event.user as Record<string, string>;
    return `${user.employeeId},${quote(event.country)},${quote(contact.mobilePhone)},${quote(contact.officePhone)},${quote(contact.alternateEmail)}\n`;
  });
  const started = performance.now();
  // Chunks of 1,000 rows, as a file stream would deliver them.
  async function* chunks(): AsyncGenerator<string> {
    yield header;
    for (let i = 0; i < rows.length; i += 1000) yield rows.slice(i, i + 1000).join("");
  }
  let count = 0;
  const input = Readable.from(chunks(), { objectMode: false });
  for await (const batch of readCsvRecords(input, { occurredAt: "2026-11-24T09:00:00Z" })) {
    for (const input of batch) {
      toOutputLine(validateRecord(input, rules));
      count++;
    }
  }
  if (count !== records.length) throw new Error(`CSV pipeline saw ${count} of ${records.length} records`);
  return (performance.now() - started) / 1000;
}

const format = (n: number) => Math.round(n).toLocaleString("en-US");
const chunkSize = 10_000;

const records = generate(recordCount);
// Warm both paths up so the JIT has compiled them before anything is timed.
await pipeline(records.slice(0, 10_000));
bare(records.slice(0, 10_000));

// Alternate the two paths chunk by chunk, so a noisy neighbour on a shared CI box slows both alike. CPU time is
// measured too: on a machine busier than its cores, wall time also counts the time a path waited for a core.
const totals = { pipeline: 0, bare: 0, pipelineCpu: 0, bareCpu: 0, pipelineValid: 0, bareValid: 0 };
for (let round = 0; round < roundCount; round++) {
  for (let start = 0; start < records.length; start += chunkSize) {
    const chunk = records.slice(start, start + chunkSize);
    const p = await pipeline(chunk);
    const b = bare(chunk);
    totals.pipeline += p.seconds;
    totals.bare += b.seconds;
    totals.pipelineCpu += p.cpuSeconds;
    totals.bareCpu += b.cpuSeconds;
    if (round === 0) {
      totals.pipelineValid += p.valid;
      totals.bareValid += b.valid;
    }
  }
}
const pipelineRate = (recordCount * roundCount) / totals.pipeline;
const bareRate = (recordCount * roundCount) / totals.bare;
const csvSeconds = await csvPipeline(records);

console.log(
  `records:                          ${format(recordCount)} × ${roundCount} rounds, interleaved in chunks of ${format(chunkSize)}`,
);
console.log(
  `validate pipeline:                ${format(pipelineRate)} records/s (${totals.pipelineValid} valid)`,
);
console.log(`bare libphonenumber-js loop:      ${format(bareRate)} records/s (${totals.bareValid} valid)`);
const cpuRatio = totals.bareCpu / totals.pipelineCpu;
console.log(
  `ratio pipeline / bare:            ${(pipelineRate / bareRate).toFixed(2)} wall clock, ${cpuRatio.toFixed(2)} CPU time (aim >= 0.80)`,
);
console.log(`CSV end to end (parse+validate):  ${format(recordCount / csvSeconds)} records/s`);
