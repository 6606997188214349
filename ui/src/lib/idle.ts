// The idle lock: after `idle_lock_secs` (SessionStatus) without input the console signs the agent
// out. A warning comes first (60 s before, or at half the time for limits under 2 minutes).
//
// Activity only records a time stamp (mousemove fires often); the single pending timer checks
// the deadline when it fires and re-arms for what is left. Deadlines use the wall clock
// (Date.now), so a machine that slept past the limit signs out as soon as it wakes.

/** The window events that count as activity. */
export const IDLE_ACTIVITY_EVENTS = [
  'keydown',
  'mousedown',
  'mousemove',
  'wheel',
  'touchstart',
  'focus',
] as const;

/** How long before the sign-out the warning shows. */
export const IDLE_WARNING_SECS = 60;

// setTimeout fires at once for delays over 2^31 - 1 ms (about 24.8 days); longer waits re-arm.
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Whether `limitSecs` turns the idle lock on (0, negative or not a number: never locks). */
export function idleLockEnabled(limitSecs: number): boolean {
  return Number.isFinite(limitSecs) && limitSecs > 0;
}

/** Seconds before the sign-out at which the warning shows: 60, or half the limit under 2 minutes. */
export function idleWarningLeadSecs(limitSecs: number): number {
  if (!idleLockEnabled(limitSecs)) return 0;
  return limitSecs < 2 * IDLE_WARNING_SECS ? limitSecs / 2 : IDLE_WARNING_SECS;
}

/** "0:59", "1:00", "12:05" for a number of seconds. */
export function formatIdleLeft(secs: number): string {
  const whole = Math.max(0, Math.ceil(secs));
  const minutes = Math.floor(whole / 60);
  const seconds = whole % 60;
  return `${minutes}:${String(seconds).padStart(2, '0')}`;
}

/** The text of the warning shown before the sign-out. */
export function idleWarningText(secondsLeft: number): string {
  return `You will be signed out in ${formatIdleLeft(secondsLeft)} — move the mouse or press a key to stay signed in`;
}

/** The notice on the sign-in screen after an idle sign-out (minutes rounded, at least 1). */
export function idleSignOutNotice(limitSecs: number): string {
  const minutes = Math.max(1, Math.round(limitSecs / 60));
  return `Signed out after ${minutes} ${minutes === 1 ? 'minute' : 'minutes'} without activity. Sign in again.`;
}

export interface IdleTimerOptions {
  /** Seconds without activity before `onTimeout`; 0 (or less) means never: no timer at all. */
  limitSecs: number;
  /** Called once, when the limit has passed without activity. The timer is then stopped. */
  onTimeout: () => void;
  /**
   * Called when the warning starts (see `idleWarningLeadSecs`) with the whole seconds left, and
   * again each time that number goes down, until the timeout or activity.
   */
  onWarning?: (secondsLeft: number) => void;
  /** Called when activity ends a warning (so the UI can hide it). */
  onActive?: () => void;
  /** The clock, in milliseconds (tests). */
  now?: () => number;
}

export class IdleTimer {
  readonly #limitMs: number;
  readonly #warnAtMs: number;
  readonly #opts: IdleTimerOptions;
  readonly #now: () => number;
  #last = 0;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #warning = false;
  #armed = false;

  constructor(opts: IdleTimerOptions) {
    this.#opts = opts;
    this.#now = opts.now ?? Date.now;
    const enabled = idleLockEnabled(opts.limitSecs);
    this.#limitMs = enabled ? opts.limitSecs * 1000 : 0;
    this.#warnAtMs = enabled ? this.#limitMs - idleWarningLeadSecs(opts.limitSecs) * 1000 : 0;
    if (!enabled) return;
    this.#armed = true;
    this.#last = this.#now();
    this.#check();
  }

  /** Whether the timer is still waiting (false when disabled, stopped or after the timeout). */
  get running(): boolean {
    return this.#armed;
  }

  /** Whether the warning is showing. */
  get warning(): boolean {
    return this.#warning;
  }

  /** Input happened: the idle time starts again, and a showing warning ends. */
  activity(): void {
    if (!this.#armed) return;
    this.#last = this.#now();
    if (!this.#warning) return; // The pending timer re-arms itself from the new time stamp.
    this.#warning = false;
    this.#check();
    this.#opts.onActive?.();
  }

  stop(): void {
    this.#armed = false;
    this.#warning = false;
    this.#clear();
  }

  #clear(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #arm(delayMs: number): void {
    this.#clear();
    this.#timer = setTimeout(
      () => {
        this.#timer = null;
        this.#check();
      },
      Math.min(MAX_TIMER_MS, Math.max(1, Math.ceil(delayMs))),
    );
  }

  #check(): void {
    if (!this.#armed) return;
    const idleMs = this.#now() - this.#last;
    if (idleMs >= this.#limitMs) {
      this.stop();
      this.#opts.onTimeout();
      return;
    }
    if (idleMs < this.#warnAtMs) {
      this.#warning = false;
      this.#arm(this.#warnAtMs - idleMs);
      return;
    }
    const leftMs = this.#limitMs - idleMs;
    const secondsLeft = Math.ceil(leftMs / 1000);
    this.#warning = true;
    // Next: when the whole seconds left go down by one (or at the limit).
    this.#arm(leftMs - (secondsLeft - 1) * 1000);
    this.#opts.onWarning?.(secondsLeft);
  }
}

/**
 * Calls `onActivity` for every IDLE_ACTIVITY_EVENTS event on `target` (passive, in the capture
 * phase so handlers that stop propagation cannot hide input). Returns a function that removes them.
 */
export function listenForActivity(target: EventTarget, onActivity: () => void): () => void {
  const handler = () => onActivity();
  for (const type of IDLE_ACTIVITY_EVENTS) {
    target.addEventListener(type, handler, { passive: true, capture: true });
  }
  return () => {
    for (const type of IDLE_ACTIVITY_EVENTS) target.removeEventListener(type, handler, { capture: true });
  };
}

// The session's absolute end (SessionStatus.ends_at): the service renews an active session, but
// never past this. The console warns a minute before it and signs out at it. It is a deadline no
// input moves: an IdleTimer that is never told of activity.

/** The warning shown in the last minute before the session's absolute end. */
export function sessionEndWarningText(secondsLeft: number): string {
  return `Your session reaches its time limit in ${formatIdleLeft(secondsLeft)} — finish this step; you will sign in again after`;
}

/** The notice on the sign-in screen after the session reached its absolute end. */
export const SESSION_END_NOTICE = 'Your session reached its time limit. Sign in again to go on.';

/** Seconds from `nowMs` until `endsAt` (an ISO time), or null when there is no end. */
export function secondsUntil(endsAt: string | null | undefined, nowMs: number): number | null {
  if (!endsAt) return null;
  const at = Date.parse(endsAt);
  return Number.isFinite(at) ? (at - nowMs) / 1000 : null;
}
