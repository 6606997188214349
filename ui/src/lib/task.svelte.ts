// A long task with progress (verify the audit chain, export the log): one run at a time, its
// progress while it runs, then its result or its error. `K` says which run (e.g. the format).
import type { Progress } from './contract';
import { describeError, type ErrorContext, type ErrorView } from './errors';

export class ProgressTask<R, K = true> {
  /** The run under way (null: none). */
  running = $state<K | null>(null);
  progress = $state<Progress | null>(null);
  result = $state.raw<R | null>(null);
  error = $state<ErrorView | null>(null);

  #ctx: () => ErrorContext;

  constructor(ctx: () => ErrorContext) {
    this.#ctx = ctx;
  }

  async run(kind: K, task: (onProgress: (p: Progress) => void) => Promise<R>): Promise<void> {
    if (this.running !== null) return;
    this.running = kind;
    this.progress = null;
    this.result = null;
    this.error = null;
    try {
      this.result = await task((p) => (this.progress = p));
    } catch (e) {
      this.error = describeError(e, this.#ctx());
    } finally {
      this.running = null;
    }
  }
}
