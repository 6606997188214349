// The current time, ticking while started; `ms` is reactive (for live countdowns such as the SLA).
export class Clock {
  ms = $state(Date.now());
  #timer: ReturnType<typeof setInterval> | null = null;
  #everyMs: number;

  constructor(everyMs = 1000) {
    this.#everyMs = everyMs;
  }

  start(): void {
    this.ms = Date.now();
    if (this.#timer !== null) return;
    this.#timer = setInterval(() => (this.ms = Date.now()), this.#everyMs);
  }

  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }
}
