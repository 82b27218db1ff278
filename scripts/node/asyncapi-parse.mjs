// Parses AsyncAPI documents with the official parser (@asyncapi/parser)
// and prints, as one JSON object by file, its diagnostics and what it read
// of the operations and messages. Exits 1 when a document does not parse or
// has an error diagnostic.
//
//   node asyncapi-parse.mjs asyncapi.json [asyncapi.yaml …]
import { readFile } from "node:fs/promises";
import { Parser } from "@asyncapi/parser";

const parser = new Parser();
const out = {};
let failed = false;
for (const file of process.argv.slice(2)) {
  const { document, diagnostics } = await parser.parse(await readFile(file, "utf8"));
  const result = {
    parsed: document !== undefined,
    diagnostics: diagnostics.map((d) => ({ severity: d.severity, code: d.code, message: d.message, path: d.path })),
  };
  if (document !== undefined) {
    result.servers = document.servers().all().map((s) => ({ id: s.id(), host: s.host(), protocol: s.protocol() }));
    result.operations = Object.fromEntries(document.operations().all().map((op) => [op.id(), {
      action: op.action(),
      messages: op.messages().all().map((m) => m.id()),
      reply: op.reply()?.messages().all().map((m) => m.id()) ?? [],
    }]));
    result.messages = Object.fromEntries(document.messages().all().map((m) => [m.id(), {
      schemaFormat: m.schemaFormat(),
      correlationId: m.correlationId()?.location() ?? "",
    }]));
  }
  if (!result.parsed || diagnostics.some((d) => d.severity === 0)) failed = true;
  out[file] = result;
}
console.log(JSON.stringify(out));
process.exit(failed ? 1 : 0);
