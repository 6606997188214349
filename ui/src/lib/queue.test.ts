import { describe, expect, it } from 'vitest';
import type { RequestDetail, RequestStep } from './contract';
import {
  canClaim,
  canDecide,
  formatBytes,
  formatDuration,
  holds,
  isInlineImage,
  missingItems,
  slaStatus,
  toQueueFilter,
} from './queue';

const NOW = Date.parse('2024-05-01T12:00:00Z');
const at = (secondsFromNow: number) => new Date(NOW + secondsFromNow * 1000).toISOString();

describe('SLA countdown', () => {
  it.each([
    [3 * 3600 + 12 * 60 + 30, 'due in 3h 12m'],
    [2 * 86_400 + 4 * 3600, 'due in 2d 4h'],
    [20 * 60, 'due in 20m'],
    [45, 'due in 45s'],
    [0, 'due in 0s'],
    [-20 * 60, 'overdue 20m'],
    [-(5 * 3600 + 3 * 60), 'overdue 5h 3m'],
    [-30, 'overdue 30s'],
  ])('%s s from now -> %s', (seconds, text) => {
    expect(slaStatus(at(seconds), NOW).text).toBe(text);
  });

  it('flags overdue and soon', () => {
    expect(slaStatus(at(-60), NOW)).toMatchObject({ overdue: true, tone: 'bad' });
    expect(slaStatus(at(30 * 60), NOW)).toMatchObject({ overdue: false, tone: 'warn' });
    expect(slaStatus(at(5 * 3600), NOW)).toMatchObject({ overdue: false, tone: 'neutral' });
    expect(slaStatus('not a time', NOW).text).toBe('due time unknown');
  });

  it('formats durations', () => {
    expect(formatDuration(3600)).toBe('1h 0m');
    expect(formatDuration(-5)).toBe('0s');
    expect(formatDuration(Number.NaN)).toBe('0s');
  });
});

describe('queue filters', () => {
  it('maps the quick filters and the risk to the service filter', () => {
    expect(toQueueFilter('all', '')).toEqual({});
    expect(toQueueFilter('mine', '')).toEqual({ assignee: 'me' });
    expect(toQueueFilter('unassigned', 'high')).toEqual({ assignee: 'none', risk: 'high' });
    expect(toQueueFilter('second_approval', '')).toEqual({ state: 'awaiting_second_approval' });
    expect(toQueueFilter('escalated', 'low')).toEqual({ state: 'escalated', risk: 'low' });
    expect(toQueueFilter('mine', '', 'claimed')).toEqual({ assignee: 'me', state: 'claimed' });
    expect(toQueueFilter('escalated', '', 'open')).toEqual({ state: 'open' });
  });
});

function step(from: RequestStep['from'], to: RequestStep['to']): RequestStep {
  return { at: '2024-05-01T10:00:00Z', actor: 'x', action: 'move', from, to, note: null };
}

function detail(
  state: RequestDetail['item']['state'],
  assigneeId: number | null,
  steps: RequestStep[] = [],
): RequestDetail {
  return {
    item: {
      id: 1,
      reference: 'SD-1',
      state,
      risk: 'low',
      change: 'email',
      account_id: 5,
      username: 'u',
      submitted_at: at(-3600),
      sla_due_at: at(3600),
      assignee: assigneeId === null ? null : 'someone',
      assignee_id: assigneeId,
    },
    risk_reasons: [],
    new_value: null,
    statement: '',
    contact: '',
    contact_on_file: false,
    facts: [],
    on_file: null,
    recent_activity: [],
    duplicates: [],
    earlier_requests: [],
    evidence: [],
    notes: [],
    steps,
    checklist: [],
    lease_expires_at: null,
    first_approver: null,
    apply_at: null,
    needs_second_approval: false,
  };
}

describe('who may act', () => {
  it('holds only a request claimed by this agent', () => {
    expect(holds(detail('claimed', 3), 3)).toBe(true);
    expect(holds(detail('claimed', 4), 3)).toBe(false);
    expect(holds(detail('open', null), 3)).toBe(false);
    expect(holds(detail('approved', 3), 3)).toBe(false);
    expect(holds(null, 3)).toBe(false);
  });

  it('decides only while holding; an escalated request only for a lead', () => {
    expect(canDecide(detail('claimed', 3), 3, 'agent')).toBe(true);
    expect(canDecide(detail('claimed', 4), 3, 'lead')).toBe(false);
    expect(canDecide(detail('open', null), 3, 'lead')).toBe(false);
    const escalated = detail('claimed', 3, [
      step('open', 'claimed'),
      step('claimed', 'escalated'),
      step('escalated', 'claimed'),
    ]);
    expect(canDecide(escalated, 3, 'agent')).toBe(false);
    expect(canDecide(escalated, 3, 'lead')).toBe(true);
    expect(canDecide(escalated, 3, 'admin')).toBe(true);
  });

  it('claims open requests; escalated ones only as a lead', () => {
    expect(canClaim(detail('open', null), 3, 'agent')).toBe(true);
    expect(canClaim(detail('escalated', null), 3, 'agent')).toBe(false);
    expect(canClaim(detail('escalated', null), 3, 'lead')).toBe(true);
    expect(canClaim(detail('claimed', 3), 3, 'agent')).toBe(false);
    expect(canClaim(detail('rejected', null), 3, 'lead')).toBe(false);
  });

  it('lists the missing checklist items', () => {
    expect(
      missingItems(['facts_match_account', 'evidence_reviewed'], new Set(['evidence_reviewed'])),
    ).toEqual(['facts_match_account']);
  });
});

describe('evidence', () => {
  it('shows png and jpeg inline only', () => {
    expect(isInlineImage('image/png')).toBe(true);
    expect(isInlineImage('image/JPEG')).toBe(true);
    expect(isInlineImage('image/svg+xml')).toBe(false);
    expect(isInlineImage('application/pdf')).toBe(false);
  });

  it('formats sizes', () => {
    expect(formatBytes(812)).toBe('812 B');
    expect(formatBytes(14_540)).toBe('14.2 KB');
    expect(formatBytes(1_363_149)).toBe('1.3 MB');
  });
});
