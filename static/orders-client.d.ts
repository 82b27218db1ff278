/**
 * The types of orders-client.js, a client for the liveorders.v1 WebSocket
 * protocol, for browsers and Node.js. The message and command types come from
 * protocol.gen.d.ts, generated from the schemas.
 *
 * ```ts
 * import { OrdersClient, type Snapshot } from "@liveorders/orders-client";
 *
 * const client = new OrdersClient({ category: "electronics" });
 * client.on("snapshot", (s: Snapshot) => render(s.items));
 * client.on("order", (o) => update(o.id, o.total));
 * client.connect();
 * const placed = await client.placeOrder("A1", 2); // a Placed message
 * ```
 */

import type {
  Amount,
  Authenticated,
  Category,
  ErrorCode,
  ErrorDetail,
  ErrorMessage,
  IdempotencyKey,
  Order,
  Placed,
  ProductID,
  Ref,
  LiveStatus,
  Snapshot,
  Welcome,
} from "./protocol.gen.js";

export type * from "./protocol.gen.js";

/** The shortest wait before a reconnect attempt, in milliseconds. */
export declare const DEFAULT_MIN_DELAY_MS: number;
/** The longest wait before a reconnect attempt, in milliseconds. */
export declare const DEFAULT_MAX_DELAY_MS: number;
/** How long a socket must stay open for the back-off to start over. */
export declare const DEFAULT_STABLE_AFTER_MS: number;
/** How long a socket may take to open before it is abandoned. */
export declare const DEFAULT_CONNECT_TIMEOUT_MS: number;
/** How long {@link OrdersClient.placeOrder} waits for its answer. */
export declare const DEFAULT_ORDER_TIMEOUT_MS: number;
/** How long before its expiry a token is refreshed, in milliseconds. */
export declare const DEFAULT_REFRESH_BEFORE_MS: number;

/**
 * `connecting`: the first socket is opening. `open`: the socket is open.
 * `reconnecting`: the connection was lost; a new socket is opening or will
 * after `delay`. `closed`: connect() was not called yet, close() was called,
 * or the server closed with a code that forbids reconnecting (4500–4999).
 */
export type ConnectionState = "connecting" | "open" | "reconnecting" | "closed";

/** The detail of a `state` event. */
export interface StateDetail {
  /** The new state. */
  state: ConnectionState;
  /** The number of the current (or next) reconnect attempt; 0 for the first connection and after a stable one. */
  attempt: number;
  /** Milliseconds until the next attempt while waiting to reconnect; 0 otherwise. */
  delay: number;
  /** The close code of the last socket, if one closed. */
  code: number | undefined;
  /** The close reason of the last socket ("" if none). */
  reason: string;
}

/** The totals the client holds for one category. */
export interface View {
  category: Category;
  /** The seq of the snapshot the view was reset to. */
  seq: number;
  /** Product id → order total. */
  totals: ReadonlyMap<ProductID, number>;
}

/**
 * What the client uses of a socket: the browser's WebSocket, Node.js's
 * global one (22 and later) and the `ws` package's all have it. Declared
 * here rather than taken from the DOM library, so that a Node.js project
 * without it type-checks these declarations.
 */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: "open" | "message" | "close" | "error", listener: (event: any) => void, options?: { once?: boolean; signal?: AbortSignal }): void;
}

/** A WebSocket class: `new WebSocketImpl(url, protocols)` opens a socket. */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

/** An event listener, as EventTarget takes one (the DOM's EventListenerOrEventListenerObject). */
export type Listener = ((event: Event) => void) | { handleEvent(event: Event): void };

/** The options of addEventListener (the DOM's AddEventListenerOptions). */
export interface ListenerOptions {
  capture?: boolean;
  once?: boolean;
  passive?: boolean;
  signal?: AbortSignal;
}

/** The options of {@link OrdersClient}. */
export interface OrdersClientOptions {
  /** The category to follow first. */
  category: Category;
  /**
   * The orders endpoint without the category, e.g. `wss://shop.example/orders`.
   * Relative URLs resolve against the page; http(s) becomes ws(s). Default:
   * `/orders` on the page's origin.
   */
  url?: string | URL;
  /**
   * The WebSocket class to use. Default: the global `WebSocket` (browsers,
   * Node.js 22 and later). In Node.js 20, pass `WebSocket` from the `ws`
   * package.
   */
  WebSocketImpl?: WebSocketConstructor;
  /** Default {@link DEFAULT_MIN_DELAY_MS}. */
  minDelayMs?: number;
  /** Default {@link DEFAULT_MAX_DELAY_MS}. */
  maxDelayMs?: number;
  /** Default {@link DEFAULT_STABLE_AFTER_MS}. */
  stableAfterMs?: number;
  /** Default {@link DEFAULT_CONNECT_TIMEOUT_MS}. */
  connectTimeoutMs?: number;
  /** Default {@link DEFAULT_ORDER_TIMEOUT_MS}. */
  orderTimeoutMs?: number;
  /**
   * Returns a bearer token (a JWT) for a server started with authentication,
   * or nothing to connect without one. Called before each connect, before
   * the token expires, and after the server closed with 4001 because it
   * expired. A rejection is reported as a `tokenerror` event and the client
   * goes on without a token.
   */
  getToken?: () => string | null | undefined | Promise<string | null | undefined>;
  /** How long before its expiry a token is refreshed. Default {@link DEFAULT_REFRESH_BEFORE_MS}. */
  refreshBeforeMs?: number;
}

/** The detail of each event the client fires, by event name. */
export interface OrdersClientEventMap {
  /** The connection state changed. */
  state: StateDetail;
  /** The first message of each socket. */
  welcome: Welcome;
  /** The view was reset to a category's totals (after a switch, and after each reconnect). */
  snapshot: Snapshot;
  /** One total of the current category moved forward: an update, or the answer to one of this client's orders. */
  order: Order | Placed;
  /** An error that answers no pending subscribe() or placeOrder() (those reject instead), e.g. `rate_limited` or `token_expired`. */
  error: ErrorMessage;
  /** The server accepted the socket's token; it is refreshed before `expiresAtMs`. */
  authenticated: Authenticated;
  /** What getToken threw or rejected with; the client goes on without a token. */
  tokenerror: unknown;
  /**
   * Whether the totals are live: each `status` message, and a synthesised
   * `{ type: "status", live: true }` when a new socket's welcome ends a
   * not-live spell. See {@link OrdersClient.live}.
   */
  status: LiveStatus;
}

/** The rejection of a command the server refused: its error message. */
export declare class OrdersError extends Error {
  constructor(message: ErrorMessage);
  /** The stable error code, e.g. `unknown_product` or `rate_limited`. */
  code: ErrorCode;
  /** The ref of the refused command. */
  ref: Ref | undefined;
  /** Validation failures: JSON pointer and reason. */
  details: ErrorDetail[];
}

/** Whether a socket closed with `code` should be reopened: every code but 4500–4999. */
export declare function shouldReconnect(code: number): boolean;

/**
 * The wait before reconnect attempt `attempt` (1, 2, …): uniformly random
 * between `min` and min(`max`, `min` × 2^attempt), in milliseconds.
 */
export declare function backoffDelay(attempt: number, min?: number, max?: number, random?: () => number): number;

/**
 * A liveorders.v1 client: one WebSocket for the life of the page, one
 * category at a time, the latest order total of each of its products. It is
 * an EventTarget; {@link OrdersClient.on} listens to its events by name with
 * their details typed by {@link OrdersClientEventMap}.
 */
export declare class OrdersClient extends EventTarget {
  /** Creates a client; nothing happens until {@link OrdersClient.connect}. Throws a TypeError for a malformed category. */
  constructor(options: OrdersClientOptions);
  /** The connection state, as the last `state` event told it. */
  get state(): StateDetail;
  /** The latest category asked for (by the constructor or subscribe()). */
  get category(): Category;
  /** A copy of the totals of the last applied snapshot's category, or null before the first. */
  get view(): View | null;
  /** The order total of product `id` in the current view. */
  total(id: ProductID): number | undefined;
  /**
   * Whether the totals are live: false while the server says it cannot show
   * that it follows its order log (the totals are kept, but may be missing
   * updates); true again at its `status` saying it does, which a fresh
   * snapshot follows, or at a new socket's welcome. True before the first
   * socket.
   */
  get live(): boolean;
  /** The last welcome message, or null before the first. */
  get welcome(): Welcome | null;
  /** How many WebSocket objects this client has created (one per connection). */
  get socketsCreated(): number;
  /** Opens the connection, or retries at once if it is waiting to reconnect. */
  connect(): void;
  /** Closes the socket for good (code 1000) and stops reconnecting; pending promises reject with an AbortError. */
  close(): void;
  /**
   * Follows `category` (update-category): resolves with its snapshot.
   * Rejects with an {@link OrdersError} (e.g. `unknown_category`), an
   * AbortError when superseded or closed, or a TypeError for a malformed name.
   */
  subscribe(category: Category): Promise<Snapshot>;
  /**
   * Places an order (place-order) under an idempotency key, a new random
   * one unless `options.key` gives it; the order is sent again with its key
   * after each reconnect until answered, and the server places it once.
   * Resolves with the server's placed answer, the product's total after it.
   * Rejects with an {@link OrdersError}, a TimeoutError, a NetworkError, an
   * AbortError or a TypeError, each with the order's key as `key`: after
   * one that is not a refusal (no answer, or `unavailable`), placeOrder with
   * the same id, amount and key retries the same order.
   */
  placeOrder(id: ProductID, amount?: Amount, options?: { key?: IdempotencyKey }): Promise<Placed>;
  /** Calls `listener` with the detail of every `type` event until the returned function is called. */
  on<K extends keyof OrdersClientEventMap>(
    type: K,
    listener: (detail: OrdersClientEventMap[K]) => void,
    options?: { once?: boolean },
  ): () => void;
  addEventListener<K extends keyof OrdersClientEventMap>(
    type: K,
    listener: (event: CustomEvent<OrdersClientEventMap[K]>) => void,
    options?: boolean | ListenerOptions,
  ): void;
  addEventListener(type: string, listener: Listener | null, options?: boolean | ListenerOptions): void;
  removeEventListener<K extends keyof OrdersClientEventMap>(
    type: K,
    listener: (event: CustomEvent<OrdersClientEventMap[K]>) => void,
    options?: boolean | { capture?: boolean },
  ): void;
  removeEventListener(type: string, listener: Listener | null, options?: boolean | { capture?: boolean }): void;
}
