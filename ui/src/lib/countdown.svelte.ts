// A seconds countdown that ticks while it runs; `remaining` is reactive.
export class Countdown {
  #until = $state(0);
  #now = $state(Date.now());
  #timer: ReturnType<typeof setInterval> | null = null;

  constructor(seconds = 0) {
    if (seconds > 0) this.start(seconds);
  }

  /** Whole seconds left, rounded up; 0 when done. */
  get remaining(): number {
    return Math.max(0, Math.ceil((this.#until - this.#now) / 1000));
  }

  start(seconds: number): void {
    this.stop();
    this.#now = Date.now();
    this.#until = this.#now + Math.max(0, seconds) * 1000;
    if (seconds <= 0) return;
    this.#timer = setInterval(() => {
      this.#now = Date.now();
      if (this.#now >= this.#until) this.stop();
    }, 250);
  }

  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }
}
