package contracttest_test

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/liveorders/liveorders/api"
	"github.com/liveorders/liveorders/internal/testenv"
)

// everyWay loads the schemas with Ajv by full URL, by path from the server
// and from the files of the checkout: each way alone on a fresh instance,
// then all three on one, and validates a real frame and a bad command with
// every validator it got. It prints one line of JSON: what each way gave.
const everyWay = `import fs from "node:fs";
import path from "node:path";
import Ajv2020 from "ajv/dist/2020.js";

const { SERVER: server, SCHEMAS: dir, FRAME: frame } = process.env;
const fresh = () => new Ajv2020({ loadSchema: async (id) => (await fetch(new URL(id, server))).json() });
const fromDisk = (ajv) => {
  for (const f of fs.readdirSync(dir).filter((f) => f.endsWith(".schema.json")).sort()) {
    ajv.addSchema(JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")));
  }
};
const msg = (base) => base + "/schemas/v1/messages.schema.json#/$defs/Message";
const cmd = (base) => base + "/schemas/v1/commands.schema.json#/$defs/Command";
const bad = { cmd: "place-order", payload: { id: "A1", amount: 0 } };
const check = (vm, vc) => ({ frame: vm(JSON.parse(frame)), badCommand: vc(bad), at: (vc.errors || []).map((e) => e.instancePath) });
const ways = {
  url: async (ajv) => check(await ajv.compileAsync({ $ref: msg(server) }), await ajv.compileAsync({ $ref: cmd(server) })),
  path: async (ajv) => check(await ajv.compileAsync({ $ref: msg("") }), await ajv.compileAsync({ $ref: cmd("") })),
  disk: async (ajv) => { fromDisk(ajv); return check(ajv.getSchema(msg("")), ajv.getSchema(cmd(""))); },
  all: async (ajv) => {
    fromDisk(ajv);
    const a = check(ajv.getSchema(msg("")), ajv.getSchema(cmd("")));
    const b = check(await ajv.compileAsync({ $ref: msg("") }), await ajv.compileAsync({ $ref: cmd(server) }));
    const c = check(await ajv.compileAsync({ $ref: msg(server) }), await ajv.compileAsync({ $ref: cmd("") }));
    return [a, b, c];
  },
};
const out = {};
for (const [name, way] of Object.entries(ways)) {
  try { out[name] = await way(fresh()); } catch (e) { out[name] = name === "all" ? [{ error: e.message }] : { error: e.message }; }
}
console.log(JSON.stringify(out));
`

// TestAjvLoadsEveryWay: one Ajv instance loads the schemas by full URL,
// by path from the server and from disk, in any mix, with no "already
// exists": the served files have no $id, so each takes the URL it was
// fetched from as its base.
func TestAjvLoadsEveryWay(t *testing.T) {
	tl := needTools(t)
	s := testenv.Start(t, testenv.Options{})
	c := s.Dial(t, "electronics", api.Subprotocol)
	c.Read(5 * time.Second) // welcome
	frame := c.Read(5 * time.Second)

	dir := t.TempDir()
	tl.linkModules(t, dir)
	writeFile(t, filepath.Join(dir, "every-way.mjs"), []byte(everyWay))
	schemas, err := filepath.Abs(filepath.Join(root, "schema"))
	if err != nil {
		t.Fatal(err)
	}
	out, errb, err := run(t, dir, []string{"SERVER=" + s.URL, "SCHEMAS=" + schemas, "FRAME=" + string(frame)}, tl.node, "every-way.mjs")
	if err != nil {
		t.Fatalf("node: %v\n%s%s", err, out, errb)
	}
	type result struct {
		Frame, BadCommand bool
		At                []string
		Error             string
	}
	var got struct {
		URL, Path, Disk result
		All             []result
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("node printed %s: %v", out, err)
	}
	ways := map[string]result{"by full URL": got.URL, "by path": got.Path, "from disk": got.Disk}
	if len(got.All) != 3 {
		t.Errorf("all ways on one instance: %s", out)
	}
	for i, r := range got.All {
		ways["all on one instance, step "+string(rune('1'+i))] = r
	}
	for way, r := range ways {
		switch {
		case r.Error != "":
			t.Errorf("%s: %s", way, r.Error)
		case !r.Frame:
			t.Errorf("%s: the frame %s did not validate", way, frame)
		case r.BadCommand || !slices.Contains(r.At, "/payload/amount"):
			t.Errorf("%s: the bad command gave %+v, want invalid at /payload/amount", way, r)
		}
	}
}
