// The caller verification and the account actions: labelled modal dialogs whose focus, keys and
// refusals an agent on a call relies on.
import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, waitFor } from '@testing-library/svelte';
import { fail, inTurn, mockCore, type Handlers } from '../../../test/core';
import { el, fill, key } from '../../../test/dom';
import type { AccountDetail } from '../../../lib/contract';
import VerifyCallerDialog from './VerifyCallerDialog.svelte';
import AccountActionDialog from './AccountActionDialog.svelte';
import type { CallAction } from './call';

function account(extra: Partial<AccountDetail> = {}): AccountDetail {
  return {
    id: 42,
    username: 'alice',
    display_name: 'Alice',
    status: 'active',
    country: 'ES',
    created_at: '2023-01-02T03:04:05Z',
    last_sign_in_at: null,
    emails: [{ id: 31, masked: 'a***@example.com', primary: true, verified: true, bounced: false }],
    phone: '+34 *** 12',
    two_factor: [{ kind: 'authenticator_app', last_used_at: null }],
    security_question_set: true,
    recent_emails: [],
    password_reset_available_in: 0,
    answer_reset_available_in: 0,
    duplicates: [],
    caller_verified: null,
    ...extra,
  };
}

function verify(a: AccountDetail, handlers: Handlers = {}) {
  const core = mockCore(handlers);
  const onClose = vi.fn();
  const onVerified = vi.fn();
  render(VerifyCallerDialog, { account: a, onClose, onVerified });
  return { core, onClose, onVerified };
}

function act(action: CallAction, handlers: Handlers = {}) {
  const core = mockCore(handlers);
  const onClose = vi.fn();
  const onDone = vi.fn();
  render(AccountActionDialog, { action, accountId: 5, username: 'bob', emailId: 7, onClose, onDone });
  return { core, onClose, onDone };
}

const challenge = {
  id: 9,
  method: 'authenticator_app',
  expires_at: '2030-01-01T00:00:00Z',
  attempts_left: 3,
};

describe('VerifyCallerDialog', () => {
  it('is a modal dialog named by its title and described by what it does', () => {
    verify(account());
    const dialog = el('#verify-caller');
    expect(dialog.getAttribute('role')).toBe('dialog');
    expect(dialog.getAttribute('aria-modal')).toBe('true');
    expect(el(`#${dialog.getAttribute('aria-labelledby')}`).textContent).toBe(
      'Verify the caller — alice (#42)',
    );
    expect(el(`#${dialog.getAttribute('aria-describedby')}`).textContent).toMatch(/^Challenge a factor/);
  });

  it('starts on the best method', () => {
    verify(account());
    expect(document.activeElement).toBe(el('input[name=caller-method][value=authenticator_app]'));
  });

  it('with no factor to challenge, says so and starts on Cancel', () => {
    verify(account({ two_factor: [], phone: null, emails: [] }));
    expect(el('#verify-caller [role=alert]').textContent).toMatch(/no factor to challenge/);
    expect(el<HTMLButtonElement>('#verify-start').disabled).toBe(true);
    expect(document.activeElement?.textContent).toBe('Cancel');
  });

  it('challenges the chosen method, then checks the code the caller reads out', async () => {
    const { core, onVerified } = verify(account(), {
      caller_challenge: () => ({ ...challenge, method: 'sms' }),
      caller_check: inTurn(
        () => fail('wrong_code', 'the code is wrong; 2 attempts left'),
        () => ({
          method: 'sms',
          verified_at: '2026-01-01T00:00:00Z',
          valid_until: '2030-01-01T00:00:00Z',
          by: 'Ana',
          by_id: 1,
        }),
      ),
    });
    await fireEvent.click(el('input[name=caller-method][value=sms]'));
    await fireEvent.click(el('#verify-start'));
    await waitFor(() => expect(document.activeElement).toBe(el('#verify-code')));
    expect(el('#verify-prompt').textContent).toMatch(/phone on file/);
    expect(el<HTMLButtonElement>('#verify-check').disabled).toBe(true);

    await fill({ 'verify-code': '111111' });
    await fireEvent.submit(el('#verify-code').closest('form')!);
    await waitFor(() => expect(el('#verify-error').dataset.code).toBe('wrong_code'));
    expect(el('#verify-error').getAttribute('role')).toBe('alert');

    await fill({ 'verify-code': ' 222222 ' });
    await fireEvent.click(el('#verify-check'));
    await waitFor(() => expect(onVerified).toHaveBeenCalledOnce());
    expect(core.calls('caller_challenge')).toEqual([{ id: 42, method: 'sms' }]);
    expect(core.calls('caller_check').map((a) => a.code)).toEqual(['111111', '222222']);
  });

  it('closes on Esc and on Cancel', async () => {
    const { onClose } = verify(account());
    await key(document.activeElement!, 'Escape');
    expect(onClose).toHaveBeenCalledOnce();
    await fireEvent.click(el('#verify-caller button[type=button]'));
    expect(onClose).toHaveBeenCalledTimes(2);
  });
});

describe('AccountActionDialog', () => {
  it('is a modal dialog named after the action and the account, starting on the ticket', () => {
    act('unlock');
    const dialog = el('#call-action');
    expect(dialog.getAttribute('aria-modal')).toBe('true');
    expect(el(`#${dialog.getAttribute('aria-labelledby')}`).textContent).toBe(
      'Unlock the account — bob (#5)',
    );
    expect(el(`#${dialog.getAttribute('aria-describedby')}`).textContent).toMatch(/sign in again/);
    expect(document.activeElement).toBe(el('#call-ticket'));
    expect(el<HTMLSelectElement>('#call-reason').value).toBe('locked_out');
  });

  it('Enter sends the action once, with the trimmed ticket, and says what it did', async () => {
    const { core, onDone } = act('end_sessions', {
      end_sessions: () => ({ action_id: 1, emails: [{ id: 1, status: 'queued' }], sessions_ended: 3 }),
    });
    await fill({ 'call-ticket': ' SUP-1 ' });
    await fireEvent.submit(el('#call-ticket').closest('form')!);
    await waitFor(() => expect(onDone).toHaveBeenCalledWith('3 sessions ended; 1 notices queued.'));
    expect(core.calls('end_sessions')).toEqual([
      {
        id: 5,
        request: { reason: 'suspected_compromise', ticket: 'SUP-1' },
        idempotencyKey: expect.any(String),
      },
    ]);
  });

  it("shows a refusal beside the buttons, in the service's words when the account was not in that state", async () => {
    act('unlock', {
      unlock_account: () => fail('invalid_state', 'The account is not locked.'),
    });
    await fireEvent.click(el('#call-confirm'));
    await waitFor(() => expect(el('#call-error').dataset.code).toBe('invalid_state'));
    expect(el('#call-error').textContent).toBe('The account is not locked.');
    expect(el('#call-error').nextElementSibling?.contains(el('#call-confirm'))).toBe(true);
    expect(el('#call-confirm').getAttribute('aria-busy')).toBe('false');
  });

  it('closes on Esc', async () => {
    const { onClose } = act('verification_email');
    await key(el('#call-ticket'), 'Escape');
    expect(onClose).toHaveBeenCalledOnce();
  });
});
