// The zone is fixed before any Date is made, so local -> UTC conversion is checked for real.
(globalThis as unknown as { process: { env: Record<string, string | undefined> } }).process.env.TZ =
  'Europe/Berlin';

import { describe, expect, it } from 'vitest';
import {
  EMPTY_FILTER_FORM,
  formatBytes,
  formatDuration,
  formatTarget,
  formatLocal,
  formatUtc,
  localToRfc3339,
  rfc3339ToLocal,
  toAuditFilter,
} from './audit';
import { actionSummary, barLength, hourSummary, rangeBefore } from './charts';

const form = (extra: Partial<typeof EMPTY_FILTER_FORM>) => ({ ...EMPTY_FILTER_FORM, ...extra });

describe('toAuditFilter', () => {
  it('an empty form is an empty filter (no keys at all)', () => {
    const r = toAuditFilter(EMPTY_FILTER_FORM);
    expect(r).toEqual({ ok: true, filter: {} });
    expect(r.ok && Object.keys(r.filter)).toEqual([]);
  });

  it('keeps only the fields that are set, with numbers parsed', () => {
    expect(toAuditFilter(form({ agent: '7', outcome: 'failure', account: ' 1042 ' }))).toEqual({
      ok: true,
      filter: { agent: 7, outcome: 'failure', account: 1042 },
    });
    expect(toAuditFilter(form({ action: 'password_reset', account: '#12' }))).toEqual({
      ok: true,
      filter: { action: 'password_reset', account: 12 },
    });
  });

  it('converts datetime-local (local time) to RFC 3339 UTC', () => {
    // Berlin is UTC+2 in summer and UTC+1 in winter.
    expect(toAuditFilter(form({ from: '2024-05-01T10:00', to: '2024-12-01T09:30' }))).toEqual({
      ok: true,
      filter: { from: '2024-05-01T08:00:00Z', to: '2024-12-01T08:30:00Z' },
    });
    expect(localToRfc3339('2024-05-01T10:00:15')).toBe('2024-05-01T08:00:15Z');
  });

  it.each(['abc', '12a', '1.5', '-3', '0', '99999999999999999999'])(
    'rejects the account id %j',
    (account) => {
      const r = toAuditFilter(form({ account, agent: '3' }));
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.error.field).toBe('account');
        expect(r.error.text).toMatch(/account id/i);
      }
    },
  );

  it('rejects impossible dates and a range that ends before it starts', () => {
    expect(localToRfc3339('2024-02-31T10:00')).toBeNull();
    expect(localToRfc3339('yesterday')).toBeNull();
    const r = toAuditFilter(form({ from: '2024-05-02T10:00', to: '2024-05-01T10:00' }));
    expect(r.ok === false && r.error.field).toBe('to');
  });

  it('round-trips an instant to a datetime-local value', () => {
    expect(rfc3339ToLocal('2024-05-01T08:00:00Z')).toBe('2024-05-01T10:00');
  });
});

describe('formatting', () => {
  it('shows times in UTC whatever the local zone', () => {
    expect(formatUtc('2024-05-01T10:00:00+02:00')).toBe('2024-05-01 08:00:00 UTC');
    expect(formatUtc('nope')).toBe('nope');
  });

  it('shows the log in local time, as the filters take it', () => {
    // Berlin: UTC+2 in summer, UTC+1 in winter.
    expect(formatLocal('2024-05-01T08:00:00Z')).toBe('2024-05-01 10:00:00');
    expect(formatLocal('2024-01-31T23:30:05Z')).toBe('2024-02-01 00:30:05');
    expect(formatLocal('nope')).toBe('nope');
  });

  it('formats targets, sizes and durations', () => {
    expect(formatTarget({ target_type: 'account', target_id: '42' })).toBe('account #42');
    expect(formatTarget({ target_type: 'account', target_id: '1', target_label: 'maria.lopez' })).toBe(
      'maria.lopez (account #1)',
    );
    expect(formatTarget({ target_type: 'request', target_id: '24', target_label: 'SD-4F2A9C1B' })).toBe(
      'SD-4F2A9C1B (request #24)',
    );
    expect(formatTarget({ target_type: 'agent', target_id: 'ana@desk.test' })).toBe('agent ana@desk.test');
    expect(formatTarget({ target_type: null, target_id: null })).toBe('');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(2048)).toBe('2.0 KB');
    expect(formatBytes(5 * 1024 * 1024)).toBe('5.0 MB');
    expect(formatDuration(null)).toBe('—');
    expect(formatDuration(42)).toBe('42 s');
    expect(formatDuration(600)).toBe('10 min');
    expect(formatDuration(3900)).toBe('1 h 05 min');
  });
});

describe('charts', () => {
  it('scales bars, keeping small non-zero values visible', () => {
    expect(barLength(0, 10, 100)).toBe(0);
    expect(barLength(5, 10, 100)).toBe(50);
    expect(barLength(1, 10_000, 100)).toBe(1);
    expect(barLength(3, 0, 100)).toBe(0);
  });

  it('summarises the hours and the action types', () => {
    const hours = Array.from({ length: 24 }, (_, h) => (h === 14 ? 9 : h === 9 ? 3 : 0));
    expect(hourSummary(hours)).toBe(
      'Actions per hour of day (UTC): 12 actions, busiest 14:00 (9), active in 2 of 24 hours.',
    );
    expect(hourSummary(new Array(24).fill(0))).toBe('Actions per hour of day (UTC): no actions.');
    expect(
      actionSummary([
        { action: 'sign_in', count: 3 },
        { action: 'password_reset', count: 12 },
        { action: 'sign_out', count: 0 },
      ]),
    ).toBe('Actions by type: Password reset 12, Sign in 3.');
  });

  it('computes a period ending now', () => {
    expect(rangeBefore(new Date('2024-05-08T12:00:00Z'), 24 * 7)).toEqual({
      from: '2024-05-01T12:00:00Z',
      to: '2024-05-08T12:00:00Z',
    });
  });
});
