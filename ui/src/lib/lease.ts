// The agent's hold (lease) on an open request: renewed every minute while the request view is
// open and held (leases last 5 minutes on the service), released when the agent leaves it.
// No Svelte here: the request view tells the keeper what it shows, the keeper decides when to
// renew and whether leaving must release.

/** How often a held lease is renewed. */
export const RENEW_EVERY_MS = 60_000;

export type LeaseHooks = {
  /** Renew the lease on `id` (the caller applies the answer and calls `update` again). */
  renew: (id: number) => Promise<unknown> | unknown;
  /** Give the request back to the queue. */
  release: (id: number) => Promise<unknown> | unknown;
};

export class LeaseKeeper {
  #hooks: LeaseHooks;
  #everyMs: number;
  #id: number | null = null;
  #held = false;
  #timer: ReturnType<typeof setInterval> | null = null;

  constructor(hooks: LeaseHooks, everyMs = RENEW_EVERY_MS) {
    this.#hooks = hooks;
    this.#everyMs = everyMs;
  }

  /** The request whose lease is tracked (null: none). */
  get id(): number | null {
    return this.#id;
  }

  /** The agent holds the tracked request (claimed by them), as last told. */
  get held(): boolean {
    return this.#held;
  }

  /** A renewal timer runs. */
  get renewing(): boolean {
    return this.#timer !== null;
  }

  /**
   * What the view shows now: request `id`, and whether the agent holds it (state claimed and they
   * are the assignee). Opening another request while holding one releases the first. A request
   * that is no longer held (a decision, a release, a reassignment) stops the renewals and will not
   * be released on leaving.
   */
  update(id: number | null, held: boolean): void {
    if (id !== this.#id && this.#id !== null && this.#held) {
      const previous = this.#id;
      this.#stopTimer();
      this.#held = false;
      void this.#call(() => this.#hooks.release(previous));
    }
    this.#id = id;
    this.#held = id !== null && held;
    if (this.#held) {
      if (this.#timer === null) this.#startTimer();
    } else {
      this.#stopTimer();
    }
  }

  /**
   * The agent leaves the request (Back, another tab, unmount): stop renewing, and release it when
   * they still hold it. Resolves when the release settled (failures are swallowed: the lease then
   * simply runs out on the service).
   */
  async leave(): Promise<void> {
    this.#stopTimer();
    const id = this.#id;
    const held = this.#held;
    this.#id = null;
    this.#held = false;
    if (id !== null && held) await this.#call(() => this.#hooks.release(id));
  }

  #startTimer(): void {
    this.#timer = setInterval(() => {
      const id = this.#id;
      if (id !== null && this.#held) void this.#call(() => this.#hooks.renew(id));
    }, this.#everyMs);
  }

  #stopTimer(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }

  async #call(fn: () => Promise<unknown> | unknown): Promise<void> {
    try {
      await fn();
    } catch {
      // The hooks report their own failures.
    }
  }
}
