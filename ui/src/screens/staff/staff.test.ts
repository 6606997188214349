import { describe, expect, it } from 'vitest';
import type { Agent, StaffMember } from '../../lib/contract';
import { modeForKey, staffActions } from './staff';

const me: Agent = { id: 1, email: 'ada@corp.test', name: 'Ada', role: 'admin' };
const member = (over: Partial<StaffMember> = {}): StaffMember => ({
  id: 2,
  email: 'ana@corp.test',
  name: 'Ana',
  role: 'agent',
  status: 'active',
  enrolment: 'enrolled',
  last_sign_in_at: null,
  enrolment_link_expires_at: null,
  pending_mfa_reset: null,
  ...over,
});
const reset = (by: number) => ({
  id: 9,
  requested_by_id: by,
  requested_by: 'X',
  requested_at: '2026-01-01T00:00:00Z',
  reason: 'lost phone',
  ticket: 'IT-1',
});

describe('staff actions', () => {
  it('nobody disables themselves, and a disabled member can be re-enabled', () => {
    expect(staffActions(member({ id: 1 }), me)).not.toContain('disable');
    expect(staffActions(member({ status: 'disabled' }), me)).toContain('enable');
    expect(modeForKey('d', member({ status: 'disabled' }), me)).toBe('enable');
    expect(modeForKey('d', member(), me)).toBe('disable');
  });

  it('a reset is approved only by an admin who neither asked for it nor is its subject', () => {
    expect(staffActions(member({ pending_mfa_reset: reset(1) }), me)).not.toContain('approve');
    expect(staffActions(member({ pending_mfa_reset: reset(3) }), me)).toContain('approve');
    expect(staffActions(member({ id: 1, pending_mfa_reset: reset(3) }), me)).not.toContain('approve');
    expect(modeForKey('y', member({ pending_mfa_reset: reset(3) }), me)).toBe('approve');
    expect(modeForKey('m', member({ pending_mfa_reset: reset(3) }), me)).toBeNull();
  });

  it('only an enrolled authenticator can be reset; inviting needs no selection', () => {
    expect(staffActions(member({ enrolment: 'pending', status: 'invited' }), me)).not.toContain('mfa-reset');
    expect(modeForKey('i', null, me)).toBe('invite');
    expect(modeForKey('o', null, me)).toBeNull();
  });
});
