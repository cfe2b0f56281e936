import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));

/** Product code: what runs in Azure, in the CLI and on a developer's machine (the emulated tenant included). */
const productFolders = ["shared", "cli", "functions", "local"];
/** A function longer than this does several things: name each and let the function read as their sequence. */
const maxFunctionLines = 80;
/** A file longer than this holds several concepts: one file per concept, named after its export. */
const maxFileLines = 500;

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(root, dir)).flatMap((entry) => {
    const relative = path.posix.join(dir, entry);
    if (statSync(path.join(root, relative)).isDirectory()) return sourceFiles(relative);
    return entry.endsWith(".ts") ? [relative] : [];
  });
}

/** Every function-like body in `text` longer than `max` lines, as `file:line name (n lines)`. */
function longFunctions(file: string, text: string, max: number): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && "body" in node && node.body) {
      const body = node.body as ts.Node;
      const first = source.getLineAndCharacterOfPosition(body.getStart(source)).line;
      const last = source.getLineAndCharacterOfPosition(body.getEnd()).line;
      const lines = last - first + 1;
      if (lines > max) found.push(`${file}:${first + 1} ${nameOf(node)} (${lines} lines)`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function nameOf(node: ts.SignatureDeclaration): string {
  if (node.name) return node.name.getText();
  const parent = node.parent;
  return parent && ts.isVariableDeclaration(parent) ? parent.name.getText() : "(anonymous)";
}

const files = productFolders.flatMap(sourceFiles);
const texts = new Map(files.map((file) => [file, readFileSync(path.join(root, file), "utf8")]));

describe("code size", () => {
  it(`keeps every function in ${productFolders.join(", ")} within ${maxFunctionLines} lines`, () => {
    const long = files.flatMap((file) => longFunctions(file, texts.get(file) ?? "", maxFunctionLines));
    expect(long).toEqual([]);
  });

  it(`keeps every product file within ${maxFileLines} lines`, () => {
    const long = files
      .map((file) => ({ file, lines: (texts.get(file) ?? "").split("\n").length }))
      .filter(({ lines }) => lines > maxFileLines)
      .map(({ file, lines }) => `${file} (${lines} lines)`);
    expect(long).toEqual([]);
  });

  it("finds a long function planted in a file, arrow functions and methods included (the checker is live)", () => {
    const body = Array.from({ length: 5 }, (_, k) => `  const v${k} = ${k};`).join("\n");
    const planted = [
      `export function declared() {\n${body}\n}`,
      `const arrow = () => {\n${body}\n};`,
      `class C {\n  method() {\n${body}\n  }\n}`,
      `function short() {\n  return 1;\n}`,
    ].join("\n");
    expect(longFunctions("planted.ts", planted, 5)).toEqual([
      "planted.ts:1 declared (7 lines)",
      "planted.ts:8 arrow (7 lines)",
      "planted.ts:16 method (7 lines)",
    ]);
  });
});
