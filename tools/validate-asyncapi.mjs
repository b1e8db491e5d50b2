// Validate an AsyncAPI document with the official parser: `node tools/validate-asyncapi.mjs [docs/asyncapi.yaml]`.
// Prints every diagnostic (error, warning, ...) with its path; exits 1 on any error, 2 if the file cannot be read.
import { readFile } from "node:fs/promises";
import { Parser, DiagnosticSeverity } from "@asyncapi/parser";

const path = process.argv[2] ?? "docs/asyncapi.yaml";
let text;
try {
  text = await readFile(path, "utf8");
} catch (error) {
  console.error(`cannot read ${path}: ${error.message}`);
  process.exit(2);
}

const { document, diagnostics } = await new Parser().parse(text, { source: path });
const names = { [DiagnosticSeverity.Error]: "error", [DiagnosticSeverity.Warning]: "warning",
  [DiagnosticSeverity.Information]: "information", [DiagnosticSeverity.Hint]: "hint" };
for (const diagnostic of diagnostics) {
  const where = diagnostic.path.length ? diagnostic.path.join("/") : "(document)";
  console.log(`${names[diagnostic.severity] ?? diagnostic.severity} ${diagnostic.code} at ${where}: ${diagnostic.message}`);
}
const errors = diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error).length;
const warnings = diagnostics.filter((d) => d.severity === DiagnosticSeverity.Warning).length;
console.log(`${path}: ${errors} error(s), ${warnings} warning(s)${document ? "" : ", no document"}`);
process.exit(errors === 0 && document ? 0 : 1);
