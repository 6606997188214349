// One Idempotency-Key per action of the agent. An action sent again after a failure (the same
// payload: a retry of the same click) keeps its key, so the service does it at most once even when
// the first answer was lost; a changed action is a new one and gets a new key.
import { newIdempotencyKey } from './ids';

export class ActionKeys {
  #pending: { payload: string; key: string } | null = null;

  /** The key for sending `payload`: the pending one when it is the same action again. */
  keyFor(payload: unknown): string {
    const p = JSON.stringify(payload);
    if (this.#pending?.payload !== p) this.#pending = { payload: p, key: newIdempotencyKey() };
    return this.#pending.key;
  }

  /** The action was done: the next one is a new action. */
  done(): void {
    this.#pending = null;
  }
}
