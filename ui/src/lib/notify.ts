// OS notifications, for what an agent should not miss while the console is in the background: a
// high-risk request entering the queue, and their hold on a request about to end. Off when the
// settings say so (RECOVERY_DESK_NOTIFICATIONS=off or the machine settings), and never while the
// window has the focus (the agent sees it there).
import type { QueueItem } from './contract';

/** Seconds before a hold ends at which the agent is told. */
export const LEASE_WARNING_SECS = 60;

/** High-risk open requests in `items` that were not in the last list seen (none on the first list). */
export function newHighRisk(seen: Set<number> | null, items: QueueItem[]): QueueItem[] {
  if (seen === null) return [];
  return items.filter((i) => i.risk === 'high' && i.state === 'open' && !seen.has(i.id));
}

/** Whether a hold with `leftSecs` to go deserves its one warning now. */
export function leaseEnding(leftSecs: number | null, alreadyWarned: boolean): boolean {
  return leftSecs !== null && leftSecs > 0 && leftSecs <= LEASE_WARNING_SECS && !alreadyWarned;
}

/** Notifications go out only when enabled and while the window is in the background. */
export function shouldNotify(enabled: boolean, windowFocused: boolean): boolean {
  return enabled && !windowFocused;
}
