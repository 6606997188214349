import { describe, expect, it } from 'vitest';
import type { QueueItem } from './contract';
import { leaseEnding, newHighRisk, shouldNotify } from './notify';

const item = (id: number, risk: QueueItem['risk'], state: QueueItem['state'] = 'open'): QueueItem => ({
  id,
  reference: `SD-${id}`,
  state,
  risk,
  change: 'remove_two_factor',
  account_id: null,
  username: null,
  submitted_at: '2026-11-27T10:00:00Z',
  sla_due_at: '2026-11-27T18:00:00Z',
  assignee: null,
  assignee_id: null,
});

describe('notifications', () => {
  it('tells of high-risk requests that entered the queue since the last list, not of the first list', () => {
    expect(newHighRisk(null, [item(1, 'high')])).toEqual([]);
    const seen = new Set([1, 2]);
    const fresh = newHighRisk(seen, [
      item(1, 'high'),
      item(3, 'high'),
      item(4, 'low'),
      item(5, 'high', 'claimed'),
    ]);
    expect(fresh.map((i) => i.id)).toEqual([3]);
  });

  it('warns once when a hold is about to end', () => {
    expect(leaseEnding(300, false)).toBe(false);
    expect(leaseEnding(45, false)).toBe(true);
    expect(leaseEnding(45, true)).toBe(false);
    expect(leaseEnding(0, false)).toBe(false);
    expect(leaseEnding(null, false)).toBe(false);
  });

  it('stays quiet when turned off or while the window has the focus', () => {
    expect(shouldNotify(true, false)).toBe(true);
    expect(shouldNotify(false, false)).toBe(false);
    expect(shouldNotify(true, true)).toBe(false);
  });
});
