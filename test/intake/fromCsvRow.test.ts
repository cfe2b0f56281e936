import { describe, expect, it } from "vitest";
import { type CsvLayout, fromCsvRow, toCsvLayout } from "../../shared/intake/fromCsvRow.js";

const context = { occurredAt: "2026-11-24T09:00:00.000Z" };

function layoutOf(header: string[]): CsvLayout {
  const result = toCsvLayout(header);
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.value;
}

function rowOf(header: string[], cells: string[]): Record<string, unknown> {
  return fromCsvRow(cells, layoutOf(header), context) as Record<string, unknown>;
}

describe("fromCsvRow", () => {
  it("maps the product's own column names, in any case", () => {
    const event = rowOf(
      [
        "EMPLOYEEID",
        "userPrincipalName",
        "objectId",
        "Country",
        "mobilephone",
        "officePhone",
        "AlternateEmail",
      ],
      [
        "E1",
        "a@contoso.example",
        "0f8fad5b-d9cb-469f-a165-70867728950e",
        "US",
        "425 555 0147",
        "",
        "a@example.com",
      ],
    );
    expect(event).toMatchObject({
      source: "csv",
      occurredAt: context.occurredAt,
      user: {
        employeeId: "E1",
        userPrincipalName: "a@contoso.example",
        id: "0f8fad5b-d9cb-469f-a165-70867728950e",
      },
      country: "US",
      contact: { mobilePhone: "425 555 0147", alternateEmail: "a@example.com" },
    });
    expect((event.contact as object) ?? {}).not.toHaveProperty("officePhone");
  });

  it("maps BambooHR's export names", () => {
    const event = rowOf(
      ["Employee #", "First Name", "Mobile Phone", "Work Phone", "Home Email", "Country"],
      ["E40412", "Avery", "(425) 555-0147", "425.555.0100", "Avery.L@Example.com", "United States"],
    );
    expect(event).toMatchObject({
      user: { employeeId: "E40412" },
      country: "United States",
      contact: {
        mobilePhone: "(425) 555-0147",
        officePhone: "425.555.0100",
        alternateEmail: "Avery.L@Example.com",
      },
    });
  });

  it("never treats a bare id column as an Entra object id", () => {
    expect(rowOf(["id", "employeeId"], ["40412", "E1"]).user).toEqual({ employeeId: "E1" });
  });

  it("ignores a column named like an Object.prototype member", () => {
    expect(toCsvLayout(["constructor", "toString"]).ok).toBe(false);
  });

  it("carries a security-question column into the event so validation refuses it", () => {
    const event = rowOf(["employeeId", "Security Answer"], ["E1", "Rex"]);
    expect(event.contact).toEqual({ "Security Answer": "Rex" });
  });

  it("takes the first non-empty cell when two columns mean the same thing", () => {
    expect(rowOf(["mobile", "Mobile Phone", "employeeId"], ["", "0151 23456789", "E1"]).contact).toEqual({
      mobilePhone: "0151 23456789",
    });
  });

  it("uses an eventId column when there is one", () => {
    expect(rowOf(["eventId", "employeeId"], ["ev-1", "E1"]).eventId).toBe("ev-1");
  });

  it("derives a stable eventId from the row's content when there is no eventId column", () => {
    const header = ["employeeId", "mobilePhone"];
    const first = rowOf(header, ["E1", "0151 23456789"]).eventId;
    expect(first).toMatch(/^csv-[0-9a-f]{32}$/);
    expect(rowOf(header, [" E1 ", "0151 23456789"]).eventId).toBe(first);
    expect(
      fromCsvRow(["E1", "0151 23456789"], layoutOf(header), { occurredAt: "2020-01-01T00:00:00Z" }),
    ).toMatchObject({ eventId: first });
    expect(rowOf(header, ["E1", "0151 23456780"]).eventId).not.toBe(first);
    expect(rowOf(["mobilePhone", "employeeId"], ["0151 23456789", "E1"]).eventId).toBe(first);
  });

  it("treats missing trailing cells as empty", () => {
    expect(rowOf(["employeeId", "mobilePhone", "alternateEmail"], ["E1"]).contact).toEqual({});
  });

  it("refuses a header without any known column", () => {
    const result = toCsvLayout(["name", "department"]);
    expect(!result.ok && result.issues[0]?.code).toBe("csv_no_known_columns");
  });
});
