// @ts-check
/**
 * @file The bearer token of a client started with `getToken`: fetched
 * before each connect, and again ahead of the expiry the server announces.
 */

/** How long before its expiry a token is refreshed on an open socket. */
export const DEFAULT_REFRESH_BEFORE_MS = 30_000;

/** The soonest a token is refreshed after the server accepted it. */
const MIN_REFRESH_MS = 5_000;
/** The longest wait a browser's setTimeout holds (2^31 - 1 ms). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * @typedef {() => (string | null | undefined | Promise<string | null | undefined>)} GetToken
 * Returns a bearer token, or nothing to connect without one.
 */

/**
 * @typedef {object} TokenKeeperOptions
 * @property {number} timeoutMs How long getToken may take; past it the
 *   client goes on without a token.
 * @property {number} [refreshBeforeMs] Default {@link DEFAULT_REFRESH_BEFORE_MS}.
 * @property {(err: unknown) => void} onError Told what getToken threw or
 *   rejected with.
 * @property {(token: string) => void} present Sends a refreshed token on
 *   the open socket.
 */

/**
 * Asks getToken for tokens and schedules their refresh. The socket that a
 * refresh was scheduled for is the one it presents the new token on:
 * {@link TokenKeeper#reset} (the socket is gone) drops a refresh under way.
 */
export class TokenKeeper {
  /** @type {GetToken} */ #getToken;
  #timeout; #refreshBefore; #onError; #present;
  /** @type {ReturnType<typeof setTimeout> | undefined} */ #timer;
  /** The expiry of the socket's token, as the server announced it (ms). */
  #expiry = 0;
  /** Counts resets, so a token fetched for a socket now gone is dropped. */
  #generation = 0;

  /**
   * @param {GetToken} getToken
   * @param {TokenKeeperOptions} options
   */
  constructor(getToken, options) {
    this.#getToken = getToken;
    this.#timeout = options.timeoutMs;
    this.#refreshBefore = options.refreshBeforeMs ?? DEFAULT_REFRESH_BEFORE_MS;
    this.#onError = options.onError;
    this.#present = options.present;
  }

  /**
   * Asks getToken for a token; a failure is reported and means none.
   * @returns {Promise<string | undefined>}
   */
  async fetch() {
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    let timer;
    try {
      // A getToken that never settles must not hold the connection up:
      // past the timeout the client goes on without a token.
      const late = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`getToken did not answer within ${this.#timeout} ms`)), this.#timeout);
      });
      const token = await Promise.race([Promise.resolve().then(this.#getToken), late]);
      return typeof token === "string" && token !== "" ? token : undefined;
    } catch (err) {
      this.#onError(err);
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Schedules the refresh ahead of the expiry the server announced for the
   * socket's token (its `authenticated` message).
   * @param {number} expiresAtMs
   */
  authenticated(expiresAtMs) {
    // A token no newer than the last one (getToken had nothing fresher) is
    // left to expire: the server's 4001 close then brings a reconnect, and
    // a new getToken, instead of a loop of refreshes.
    if (!(expiresAtMs > this.#expiry)) return;
    this.#expiry = expiresAtMs;
    // refreshBefore ahead of the expiry, but no sooner than MIN_REFRESH_MS:
    // a token shorter than refreshBefore, or a clock running ahead, would
    // otherwise refresh back to back.
    const now = Date.now();
    this.#refreshAt(now + Math.max(expiresAtMs - now - this.#refreshBefore, MIN_REFRESH_MS));
  }

  /** Fetches a new token and presents it, unless the socket went meanwhile. */
  async refresh() {
    const generation = this.#generation;
    const token = await this.fetch();
    if (token === undefined || generation !== this.#generation) return;
    this.#present(token);
  }

  /** Forgets the socket's token and its refresh: the socket is gone. */
  reset() {
    clearTimeout(this.#timer);
    this.#expiry = 0;
    this.#generation++;
  }

  /**
   * Arms the refresh for the time at; a wait longer than a timer can hold
   * (about 24.8 days) is taken in steps.
   * @param {number} at
   */
  #refreshAt(at) {
    clearTimeout(this.#timer);
    const wait = at - Date.now();
    this.#timer = wait > MAX_TIMER_MS
      ? setTimeout(() => this.#refreshAt(at), MAX_TIMER_MS)
      : setTimeout(() => this.refresh(), Math.max(0, wait));
  }
}
