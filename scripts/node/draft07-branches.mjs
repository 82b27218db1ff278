// Checks which branches of a union each example of each AsyncAPI message
// matches, read as draft-07 (AsyncAPI's default schema dialect) by two
// validators: Ajv, and @cfworker/json-schema, which also ignores every
// keyword beside a $ref as draft-07 says (Ajv applies them). The union
// schemas are named on the command line; with --schema-files DIR, the
// definitions are taken from the JSON Schema files in DIR instead of the
// document's components. Prints a JSON array of {validator, union,
// message, payload, example, matches: [branch…], union_valid}.
//
//   node draft07-branches.mjs asyncapi.json Message Command
//   node draft07-branches.mjs --schema-files ../../schema asyncapi.json Message Command
import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import Ajv from "ajv";
import { Validator } from "@cfworker/json-schema";

let args = process.argv.slice(2);
let schemaDir = "";
if (args[0] === "--schema-files") {
  schemaDir = args[1];
  args = args.slice(2);
}
const [file, ...unions] = args;
const doc = JSON.parse(await readFile(file, "utf8"));

// definitions: name → schema, with every $ref pointing at #/definitions/.
let definitions = doc.components.schemas;
if (schemaDir !== "") {
  definitions = {};
  for (const name of (await readdir(schemaDir)).filter((n) => n.endsWith(".schema.json"))) {
    Object.assign(definitions, JSON.parse(await readFile(join(schemaDir, name), "utf8")).$defs);
  }
}
definitions = JSON.parse(JSON.stringify(definitions).replace(/"\$ref":"[^"#]*#\/(\$defs|components\/schemas)\//g, '"$ref":"#/definitions/'));

const ajv = new Ajv({ strict: false });
ajv.addSchema({ definitions }, "draft07.json");
const validators = {
  ajv: (name) => ajv.compile({ $ref: `draft07.json#/definitions/${name}` }),
  cfworker: (name) => {
    const v = new Validator({ definitions, allOf: [{ $ref: `#/definitions/${name}` }] }, "7");
    return (instance) => v.validate(instance).valid;
  },
};
const refName = (s) => (s?.$ref ?? "").split("/").pop();

const out = [];
for (const [validator, compile] of Object.entries(validators)) {
  for (const union of unions) {
    const branches = (definitions[union]?.oneOf ?? []).map(refName);
    const byBranch = Object.fromEntries(branches.map((b) => [b, compile(b)]));
    const whole = compile(union);
    for (const [name, message] of Object.entries(doc.components.messages)) {
      // A message is keyed by its definition's name; its payload is the
      // document's component, which may be named otherwise (ErrorMessage,
      // not the global Error).
      const payload = schemaDir !== "" ? name : refName(message.payload?.schema ?? message.payload);
      if (!branches.includes(payload)) continue;
      for (const example of message.examples ?? []) {
        out.push({
          validator,
          union,
          message: name,
          payload,
          example: example.name,
          matches: branches.filter((b) => byBranch[b](example.payload)),
          union_valid: whole(example.payload),
        });
      }
    }
  }
}
console.log(JSON.stringify(out));
