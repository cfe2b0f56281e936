import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));

/**
 * The allowed arrows between the product's folders (ARCHITECTURE.md): each may import itself and the folders
 * listed. contact/ and directory/ are the centre; adapters (graph/, storage/) implement ports and never import
 * each other; only app/ wires everything; functions/ and cli/ sit on top and reach adapters through app/.
 */
const allowed: Record<string, readonly string[]> = {
  "shared/core": [],
  "shared/contact": ["shared/core"],
  "shared/directory": ["shared/core", "shared/contact"],
  "shared/sync": ["shared/core", "shared/contact", "shared/directory"],
  "shared/intake": ["shared/core", "shared/contact", "shared/directory", "shared/sync"],
  "shared/readiness": ["shared/core", "shared/contact", "shared/directory", "shared/sync"],
  "shared/doctor": ["shared/core", "shared/contact", "shared/directory"],
  "shared/backfill": ["shared/core", "shared/contact", "shared/directory", "shared/sync", "shared/intake"],
  "shared/graph": ["shared/core", "shared/contact", "shared/directory"],
  "shared/storage": ["shared/core", "shared/contact", "shared/directory", "shared/sync", "shared/intake"],
  // The metrics port and its OpenTelemetry API adapter: the vocabulary (statuses, fields) comes from the centre.
  "shared/metrics": ["shared/core", "shared/contact", "shared/directory", "shared/sync", "shared/readiness"],
  "shared/http": ["shared/core", "shared/contact", "shared/directory", "shared/sync", "shared/intake"],
  "shared/app": [
    "shared/core",
    "shared/contact",
    "shared/directory",
    "shared/sync",
    "shared/intake",
    "shared/graph",
    "shared/storage",
    "shared/backfill",
    "shared/readiness",
    "shared/doctor",
    "shared/http",
    "shared/metrics",
  ],
  functions: [
    "shared/core",
    "shared/contact",
    "shared/directory",
    "shared/sync",
    "shared/intake",
    "shared/readiness",
    "shared/doctor",
    "shared/http",
    // The timers' use cases (readiness gauges, queue depths) record through the metrics port.
    "shared/metrics",
    "shared/app",
  ],
  cli: [
    "shared/core",
    "shared/contact",
    "shared/directory",
    "shared/sync",
    "shared/intake",
    "shared/backfill",
    "shared/readiness",
    "shared/doctor",
    "shared/app",
  ],
};

/** The pure folders: no I/O, no Azure or Graph SDK (zod and libphonenumber are rules, not I/O). */
const pureFolders = [
  "shared/core",
  "shared/contact",
  "shared/directory",
  "shared/sync",
  "shared/doctor",
  // The OpenTelemetry API records in memory; the SDK and the exporter (network) live in app/.
  "shared/metrics",
];
const ioPackages = /^(@azure\/|@microsoft\/|node:(fs|net|http|https|child_process))/;

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(root, dir)).flatMap((entry) => {
    const relative = path.posix.join(dir, entry);
    if (statSync(path.join(root, relative)).isDirectory()) return sourceFiles(relative);
    return entry.endsWith(".ts") ? [relative] : [];
  });
}

/** Every module specifier a file imports or re-exports (static and dynamic), comments stripped first. */
function importsOf(file: string): string[] {
  const text = readFileSync(path.join(root, file), "utf8")
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/^\s*\/\/.*$/gm, "");
  const pattern = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)["']([^"']+)["']/gm;
  return [...text.matchAll(pattern)].map((match) => match[1] ?? "");
}

/** The folder a project file belongs to for the rules above (`shared/sync`, `functions`, …). */
function folderOf(file: string): string {
  const parts = file.split("/");
  return parts[0] === "shared" ? `shared/${parts[1]}` : (parts[0] ?? "");
}

const checked = Object.keys(allowed);
const files = ["shared", "functions", "cli"].flatMap(sourceFiles);
const edges = files.flatMap((file) =>
  importsOf(file)
    .filter((specifier) => specifier.startsWith("."))
    .map((specifier) => ({
      from: file,
      to: path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier)),
      specifier,
    })),
);

/** The imports of `folder` that point at a folder it may not import, as `file → specifier`. */
function wrongArrows(
  all: ReadonlyArray<{ from: string; to: string; specifier: string }>,
  folder: string,
): string[] {
  return all
    .filter((edge) => folderOf(edge.from) === folder)
    .filter((edge) => folderOf(edge.to) !== folder && !allowed[folder]?.includes(folderOf(edge.to)))
    .map((edge) => `${edge.from} → ${edge.specifier}`);
}

describe("architecture", () => {
  it("puts every shared file in a known folder, none at the top of shared/", () => {
    const unknown = files.filter((file) => !checked.includes(folderOf(file)));
    expect(unknown).toEqual([]);
  });

  it.each(checked)("%s imports only the folders it may", (folder) => {
    expect(wrongArrows(edges, folder)).toEqual([]);
  });

  it.each(pureFolders)("%s is pure: no Azure or Graph SDK, no file or network I/O", (folder) => {
    const impure = files
      .filter((file) => folderOf(file) === folder)
      .flatMap((file) =>
        importsOf(file)
          .filter((specifier) => ioPackages.test(specifier))
          .map((s) => `${file} → ${s}`),
      );
    expect(impure).toEqual([]);
  });

  it("reads process.env only in the composition root, the Functions registration switch and the bin", () => {
    const readers = files.filter((file) =>
      /process\.env\b/.test(readFileSync(path.join(root, file), "utf8")),
    );
    expect(readers.sort()).toEqual([
      // The bin hands its environment to loadSettings; nothing below it reads env.
      "cli/sspr-prepop.ts",
      "shared/app/config.ts",
      "shared/app/functionRegistry.ts",
    ]);
  });

  it.each(Object.keys(allowed).filter((folder) => folder.startsWith("shared/")))(
    "%s opens its main file with a line saying what the folder is for",
    (folder) => {
      const opening = files
        .filter((file) => folderOf(file) === folder)
        .map((file) => readFileSync(path.join(root, file), "utf8").split("\n", 1)[0] ?? "")
        .filter((line) => line.startsWith(`// ${folder.slice("shared/".length)}/: `));
      expect(opening).toHaveLength(1);
    },
  );

  it.each(["shared/sync/syncContactEvent.ts", "shared/sync/fixContact.ts"])(
    "only functions/ and app/ import the use case %s (shared helpers live beside it, not in it)",
    (useCase) => {
      const importers = edges
        .filter((edge) => edge.to.replace(/\.js$/, ".ts") === useCase)
        .map((edge) => edge.from)
        .filter((from) => !from.startsWith("functions/") && folderOf(from) !== "shared/app");
      expect(importers).toEqual([]);
    },
  );

  it("interprets directory failures in one place: only directory/ and graph/ read DirectoryErrorKind", () => {
    const readers = files.filter(
      (file) =>
        !["shared/directory", "shared/graph"].includes(folderOf(file)) &&
        /\bDirectoryErrorKind\b/.test(readFileSync(path.join(root, file), "utf8")),
    );
    expect(readers).toEqual([]);
  });

  it("records metrics through the OpenTelemetry API only: the SDK and the exporter are the composition root's", () => {
    const sdk = files
      .filter((file) => !file.startsWith("shared/app/"))
      .flatMap((file) =>
        importsOf(file)
          .filter((specifier) => /^@opentelemetry\/(?!api$)|^@azure\/monitor-opentelemetry/.test(specifier))
          .map((specifier) => `${file} → ${specifier}`),
      );
    expect(sdk).toEqual([]);
  });

  it("defines isRecord once", () => {
    const definitions = files.filter((file) =>
      /function isRecord\b/.test(readFileSync(path.join(root, file), "utf8")),
    );
    expect(definitions).toEqual(["shared/core/isRecord.ts"]);
  });

  it("catches a forbidden arrow planted among the real ones (the checker itself is live)", () => {
    const planted = {
      from: "shared/contact/x.ts",
      to: "shared/app/config.ts",
      specifier: "../app/config.js",
    };
    expect(wrongArrows([...edges, planted], "shared/contact")).toEqual([
      "shared/contact/x.ts → ../app/config.js",
    ]);
  });

  it("keeps the emulated tenant independent: local/graphEmulator imports no product code", () => {
    // It stands in for Microsoft, so it holds its own copy of Graph's facts (costs, permissions, method kinds).
    const product = sourceFiles("local/graphEmulator").flatMap((file) =>
      importsOf(file)
        .filter((specifier) => specifier.startsWith("."))
        .map((specifier) => path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier)))
        .filter((target) => !target.startsWith("local/graphEmulator/"))
        .map((target) => `${file} → ${target}`),
    );
    expect(product).toEqual([]);
  });
});
