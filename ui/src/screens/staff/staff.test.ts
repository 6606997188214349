import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, waitFor } from '@testing-library/svelte';
import { fail, inTurn, mockCore, type Handlers } from '../../test/core';
import { el, fill, key } from '../../test/dom';
import type { Agent, StaffMember } from '../../lib/contract';
import { modeForKey, staffActions, type StaffMode } from './staff';
import StaffDialog from './StaffDialog.svelte';

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

const sam = member({ id: 7, email: 'sam@desk.test', name: 'Sam Staff' });

/** The dialog for one change, over a core answering `handlers`. */
function setup(mode: StaffMode, handlers: Handlers = {}) {
  const core = mockCore(handlers);
  const onClose = vi.fn();
  const onDone = vi.fn();
  render(StaffDialog, { mode, member: mode === 'invite' ? null : sam, onClose, onDone });
  return { core, onClose, onDone };
}

describe('StaffDialog', () => {
  it.each([
    ['invite', 'staff-email'],
    ['role', 'staff-role'],
    ['disable', 'staff-reason'],
  ] as const)('%s starts on #%s', (mode, first) => {
    setup(mode);
    expect(document.activeElement).toBe(el(`#${first}`));
  });

  it('is a modal dialog named by the change and described by what it does', () => {
    setup('disable');
    const dialog = el('#staff-dialog');
    expect(dialog.getAttribute('aria-modal')).toBe('true');
    expect(el(`#${dialog.getAttribute('aria-labelledby')}`).textContent).toBe('Disable staff member');
    expect(el(`#${dialog.getAttribute('aria-describedby')}`).textContent).toBe(
      'Sam Staff (sam@desk.test) cannot sign in any more, and every session of theirs ends at once.',
    );
  });

  it('sends the change with its reason and ticket; a refusal stays in the dialog', async () => {
    const { core, onDone } = setup('role', {
      staff_set_role: inTurn(
        () => fail('last_admin'),
        (args) => ({ ...sam, role: (args.change as { role: StaffMember['role'] }).role }),
      ),
    });
    await fireEvent.change(el('#staff-role'), { target: { value: 'lead' } });
    await fill({ 'staff-reason': ' promotion ', 'staff-ticket': 'HR-9' });
    await fireEvent.click(el('#staff-confirm'));
    await waitFor(() => expect(el('#staff-error').dataset.code).toBe('last_admin'));
    expect(onDone).not.toHaveBeenCalled();

    await fireEvent.click(el('#staff-confirm'));
    await waitFor(() => expect(onDone).toHaveBeenCalledWith('Sam Staff: change role done.'));
    expect(core.calls('staff_set_role')[1]).toEqual({
      id: 7,
      change: { role: 'lead', reason: 'promotion', ticket: 'HR-9' },
    });
  });

  it('closes on Cancel and on Esc', async () => {
    const { onClose } = setup('enable');
    await fireEvent.click(el('#staff-cancel'));
    await key(el('#staff-reason'), 'Escape');
    expect(onClose).toHaveBeenCalledTimes(2);
  });
});
