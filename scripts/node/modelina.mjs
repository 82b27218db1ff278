// Generates TypeScript models from an AsyncAPI document with Modelina
// (@asyncapi/modelina), with the options docs/contract-tools.md gives, and
// prints them as one JSON object: model name → its TypeScript.
//
//   node modelina.mjs asyncapi.json
import { readFile } from "node:fs/promises";
import { TypeScriptGenerator } from "@asyncapi/modelina";

const doc = JSON.parse(await readFile(process.argv[2], "utf8"));
const generator = new TypeScriptGenerator({ modelType: "interface", rawPropertyNames: true, mapType: "record" });
const models = await generator.generate(doc);
console.log(JSON.stringify(Object.fromEntries(models.map((m) => [m.modelName, m.result]))));
