// A frontend developer's code against the installed package: every event,
// command and answer is typed from the schemas.
import {
  OrdersClient,
  OrdersError,
  type OrdersClientEventMap,
  type Placed,
  type Snapshot,
  type StateDetail,
  type View,
} from "@liveorders/orders-client";
import {
  CategoryPattern,
  CloseCode,
  CommandName,
  ErrorCode,
  MessageType,
  Subprotocol,
  type Command,
  type CommandReplies,
  type ErrorMessage,
  type Message,
  type MessageReplies,
} from "@liveorders/orders-client/protocol";

const client = new OrdersClient({ category: "electronics", url: "ws://localhost:3000/orders" });

const off = client.on("snapshot", (s: Snapshot) => {
  const totals: number[] = s.items.map((item) => item.total);
  console.log(s.category, s.seq, totals, s.ref);
});
client.on("order", (o) => console.log(o.type === "placed" ? o.ref : o.seq, o.id, o.total));
client.on("state", (st: StateDetail) => console.log(st.state, st.attempt, st.code));
client.on("welcome", (w) => console.log(w.protocol === Subprotocol, w.heartbeatMs), { once: true });
client.on("error", (e: ErrorMessage) => console.log(e.code, e.details?.[0]?.pointer));
client.addEventListener("snapshot", (event) => console.log(event.detail.items.length));
off();

export async function use(): Promise<void> {
  const placed: Placed = await client.placeOrder("A1", 2);
  const answer: CommandReplies["place-order"] = placed;
  const snapshot: Snapshot = await client.subscribe("confectionery");
  const view: View | null = client.view;
  console.log(answer, snapshot.items, view?.totals.get("A1"), client.total("A1"));
  try {
    await client.subscribe("toys");
  } catch (err) {
    if (err instanceof OrdersError) console.log(err.code === ErrorCode.UnknownCategory, err.details, err.ref);
  }
}

const command: Command = { cmd: CommandName.UpdateCategory, payload: { category: "confectionery" }, ref: "1" };
const pong: MessageReplies["ping"] = { cmd: "pong" };
const code: CloseCode = CloseCode.GoingAway;
const kind: MessageType = MessageType.Snapshot;
const events: (keyof OrdersClientEventMap)[] = ["state", "welcome", "snapshot", "order", "error"];

export function describe(m: Message): string {
  switch (m.type) {
    case "snapshot":
      return `${m.category}: ${m.items.length} products`;
    case "order":
    case "placed":
      return `${m.id} is at ${m.total}`;
    case "error":
      return m.code;
    default:
      return m.type;
  }
}

console.log(command, pong, code, kind, events, CategoryPattern.test("electronics"));
