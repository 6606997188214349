// What an admin may do to a staff member, as the service decides it (the service refuses the
// rest anyway): no disabling yourself, no approving your own reset request or your own reset.
import type { Agent, StaffMember } from '../../lib/contract';

export type StaffMode = 'invite' | 'role' | 'disable' | 'enable' | 'mfa-reset' | 'approve' | 'sso';

export const STATUS_LABELS: Record<StaffMember['status'], string> = {
  invited: 'Invited',
  active: 'Active',
  disabled: 'Disabled',
};

export const ENROLMENT_LABELS: Record<StaffMember['enrolment'], string> = {
  pending: 'Link sent',
  enrolled: 'Enrolled',
  authenticator_reset: 'New authenticator pending',
};

export const MODE_KEYS: Record<Exclude<StaffMode, 'sso' | 'enable'>, string> = {
  invite: 'i',
  role: 'o',
  disable: 'd',
  'mfa-reset': 'm',
  approve: 'y',
};

/** The actions shown for `m` when `me` is signed in. */
export function staffActions(m: StaffMember, me: Agent): StaffMode[] {
  const out: StaffMode[] = ['role'];
  if (m.status === 'disabled') out.push('enable');
  else if (m.id !== me.id) out.push('disable');
  if (m.enrolment === 'enrolled' && !m.pending_mfa_reset) out.push('mfa-reset');
  if (m.pending_mfa_reset && m.pending_mfa_reset.requested_by_id !== me.id && m.id !== me.id)
    out.push('approve');
  return out;
}

/** The action a key opens for the selected member, or null. */
export function modeForKey(key: string, m: StaffMember | null, me: Agent): StaffMode | null {
  const k = key.toLowerCase();
  if (k === MODE_KEYS.invite) return 'invite';
  if (!m) return null;
  const actions = staffActions(m, me);
  if (k === MODE_KEYS.disable)
    return actions.includes('disable') ? 'disable' : actions.includes('enable') ? 'enable' : null;
  const mode = (Object.entries(MODE_KEYS).find(([, v]) => v === k)?.[0] ?? null) as StaffMode | null;
  return mode && actions.includes(mode) ? mode : null;
}
