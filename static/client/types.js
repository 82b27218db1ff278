// @ts-check
/**
 * @file The types the client's events and options are made of: the detail
 * of each event, and what the client needs of a WebSocket class.
 */

/** @typedef {import("../protocol.gen.js").Welcome} Welcome */
/** @typedef {import("../protocol.gen.js").Snapshot} Snapshot */
/** @typedef {import("../protocol.gen.js").Order} Order */
/** @typedef {import("../protocol.gen.js").Placed} Placed */
/** @typedef {import("../protocol.gen.js").ErrorMessage} ErrorMessage */
/** @typedef {import("../protocol.gen.js").Authenticated} Authenticated */
/** @typedef {import("../protocol.gen.js").LiveStatus} LiveStatus */
/** @typedef {import("./connection.js").StateDetail} StateDetail */

/**
 * @typedef {object} OrdersClientEventMap The detail of each event the client
 *   fires, by event name.
 * @property {StateDetail} state The connection state changed.
 * @property {Welcome} welcome The first message of each socket.
 * @property {Snapshot} snapshot The view was reset to a category's totals.
 * @property {Order | Placed} order One total of the current category moved forward.
 * @property {ErrorMessage} error An error that answers no pending command.
 * @property {Authenticated} authenticated The server accepted the socket's token.
 * @property {LiveStatus} status Whether the totals are live changed, or was restated.
 * @property {unknown} tokenerror What getToken threw or rejected with.
 */

/**
 * What the client uses of a socket: the browser's WebSocket, Node.js's
 * global one and the `ws` package's all have it.
 * @typedef {object} WebSocketLike
 * @property {number} readyState
 * @property {(data: string) => void} send
 * @property {(code?: number, reason?: string) => void} close
 * @property {(type: "open" | "message" | "close" | "error", listener: (event: any) => void, options?: { once?: boolean, signal?: AbortSignal }) => void} addEventListener
 */
/** @typedef {new (url: string, protocols?: string | string[]) => WebSocketLike} WebSocketConstructor */

export {};
