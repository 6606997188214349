// Geometry and spoken summaries of the Agents section's small bar charts (no chart library).
import type { ActionCount } from './contract';
import { ACTION_LABELS, label, NUMBER } from './audit';

/** Bar length for `value` out of `max`, in 0..`full`; a non-zero value is at least 1 unit long. */
export function barLength(value: number, max: number, full: number): number {
  if (!(value > 0) || !(max > 0)) return 0;
  return Math.max(1, (Math.min(value, max) / max) * full);
}

const plural = (n: number, one: string, many: string) => `${NUMBER.format(n)} ${n === 1 ? one : many}`;
const hour = (h: number) => `${String(h).padStart(2, '0')}:00`;

/** E.g. "Actions per hour of day (UTC): 42 actions, busiest 14:00 (9), active in 6 of 24 hours." */
export function hourSummary(byHour: readonly number[]): string {
  const total = byHour.reduce((a, b) => a + (b > 0 ? b : 0), 0);
  if (total === 0) return 'Actions per hour of day (UTC): no actions.';
  let busiest = 0;
  byHour.forEach((v, i) => {
    if (v > byHour[busiest]) busiest = i;
  });
  const active = byHour.filter((v) => v > 0).length;
  return `Actions per hour of day (UTC): ${plural(total, 'action', 'actions')}, busiest ${hour(busiest)} (${NUMBER.format(byHour[busiest])}), active in ${active} of 24 hours.`;
}

/** E.g. "Actions by type: Password reset 12, Sign in 3." (largest first). */
export function actionSummary(byAction: readonly ActionCount[]): string {
  const rows = sortedActions(byAction);
  if (rows.length === 0) return 'Actions by type: none.';
  return `Actions by type: ${rows.map((r) => `${label(ACTION_LABELS, r.action)} ${NUMBER.format(r.count)}`).join(', ')}.`;
}

export function sortedActions(byAction: readonly ActionCount[]): ActionCount[] {
  return byAction
    .filter((r) => r.count > 0)
    .sort((a, b) => b.count - a.count || a.action.localeCompare(b.action));
}

export type Period = '24h' | '7d' | '30d';

export const PERIODS: { value: Period; label: string; hours: number }[] = [
  { value: '24h', label: 'Last 24 hours', hours: 24 },
  { value: '7d', label: 'Last 7 days', hours: 24 * 7 },
  { value: '30d', label: 'Last 30 days', hours: 24 * 30 },
];

/** `from`/`to` (RFC 3339 UTC) for the `hours` before `now`. */
export function rangeBefore(now: Date, hours: number): { from: string; to: string } {
  const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return { from: iso(new Date(now.getTime() - hours * 3_600_000)), to: iso(now) };
}
