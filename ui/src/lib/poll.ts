// Runs a task every `intervalMs` until stopped. The next run is scheduled after the previous one
// settles, so slow calls never pile up.
export class Poller {
  #task: () => Promise<unknown> | unknown;
  #intervalMs: number;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #generation = 0;

  constructor(task: () => Promise<unknown> | unknown, intervalMs: number) {
    this.#task = task;
    this.#intervalMs = intervalMs;
  }

  get running(): boolean {
    return this.#timer !== null;
  }

  /** (Re)starts: the first run is one interval from now. */
  start(): void {
    this.stop();
    this.#schedule(this.#generation);
  }

  stop(): void {
    this.#generation++;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #schedule(generation: number): void {
    this.#timer = setTimeout(async () => {
      if (generation !== this.#generation) return;
      try {
        await this.#task();
      } catch {
        // The task reports its own failures; polling goes on.
      }
      if (generation === this.#generation) this.#schedule(generation);
    }, this.#intervalMs);
  }
}
