import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { fail, inTurn, mockCore, type Handlers } from '../../test/core';
import { el } from '../../test/dom';
import { ticketForm } from '../../lib/ticket.svelte';
import ResetDialog from './ResetDialog.svelte';

/** Renders the dialog over a core answering `handlers` (nothing by default). */
function setup(
  props: Partial<{ availableIn: number; kind: 'password' | 'answer' }> = {},
  handlers: Handlers = {},
) {
  const core = mockCore(handlers);
  const onClose = vi.fn();
  const onSuccess = vi.fn();
  render(ResetDialog, { accountId: 42, username: 'alice', onClose, onSuccess, ...props });
  return { core, onClose, onSuccess };
}

describe('ResetDialog', () => {
  it('is a labelled modal dialog with focus inside, listing every reason', () => {
    setup();
    const dialog = el('#reset-dialog');
    expect(dialog.getAttribute('role')).toBe('dialog');
    expect(dialog.getAttribute('aria-modal')).toBe('true');
    expect(dialog.contains(document.activeElement)).toBe(true);
    const options = Array.from(el<HTMLSelectElement>('#reset-reason').options).map((o) => o.value);
    expect(options).toEqual([
      'forgot_password',
      'email_not_received',
      'link_expired',
      'locked_out',
      'suspected_compromise',
      'other',
    ]);
    expect(screen.getByLabelText('Ticket reference')).toBe(el('#reset-ticket'));
  });

  it("says the desk's ticket form beside the field and marks a reference that misses it", async () => {
    ticketForm.pattern = 'SUP-\\d+';
    try {
      setup();
      const ticket = el('#reset-ticket');
      expect(ticket.getAttribute('aria-describedby')).toContain('reset-ticket-shape');
      expect(el('#reset-ticket-shape').textContent?.trim()).toBe('Form: SUP-\\d+');
      await fireEvent.input(ticket, { target: { value: 'T-1' } });
      expect(el('#reset-ticket-shape').textContent).toContain('have the form SUP-\\d+');
      expect(ticket.getAttribute('aria-invalid')).toBe('true');
      await fireEvent.input(ticket, { target: { value: 'SUP-77' } });
      expect(el('#reset-ticket-shape').textContent?.trim()).toBe('Form: SUP-\\d+');
      expect(ticket.getAttribute('aria-invalid')).toBeNull();
    } finally {
      ticketForm.pattern = null;
    }
  });

  it('an empty ticket shows a validation error and does not call the API', async () => {
    const { core } = setup();
    await fireEvent.input(el('#reset-ticket'), { target: { value: '   ' } });
    await fireEvent.click(el('#reset-confirm'));
    const error = el('#reset-error');
    expect(error.dataset.code).toBe('invalid_input');
    expect(error.textContent).toMatch(/ticket reference/i);
    expect(el('#reset-ticket').getAttribute('aria-invalid')).toBe('true');
    expect(document.activeElement).toBe(el('#reset-ticket'));
    expect(core.log).toHaveLength(0);
  });

  it('sends reason, ticket and note, and retries with the same idempotency key', async () => {
    const { core, onSuccess } = setup(
      {},
      {
        send_password_reset: inTurn(
          () => fail('internal', 'boom'),
          () => ({ action_id: 12, email: { id: 99, status: 'queued' } }),
        ),
      },
    );

    await fireEvent.change(el('#reset-reason'), { target: { value: 'locked_out' } });
    await fireEvent.input(el('#reset-ticket'), { target: { value: ' SUP-12345 ' } });
    await fireEvent.input(el('#reset-note'), { target: { value: 'Called from a new phone' } });
    await fireEvent.click(el('#reset-confirm'));

    await waitFor(() => expect(el('#reset-error').dataset.code).toBe('internal'));
    expect(el('#reset-error').textContent).toBe(
      'The service had a problem; try again. If it persists, tell your lead.',
    );
    expect(onSuccess).not.toHaveBeenCalled();

    await fireEvent.click(el('#reset-confirm'));
    await waitFor(() => expect(document.querySelector('#reset-result')).not.toBeNull());

    expect(core.log).toHaveLength(2);
    const [first, second] = core.log;
    expect(first[0]).toBe('send_password_reset');
    expect(first[1]).toEqual({
      id: 42,
      request: { reason: 'locked_out', ticket: 'SUP-12345', note: 'Called from a new phone' },
      idempotencyKey: expect.stringMatching(
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      ),
    });
    expect(second).toEqual(first);

    const result = el('#reset-result');
    expect(result.dataset.status).toBe('queued');
    expect(result.textContent?.trim()).toBe('Password reset email queued (action #12)');
    expect(document.querySelector('#reset-error')).toBeNull();
    expect(onSuccess).toHaveBeenCalledWith({ action_id: 12, email: { id: 99, status: 'queued' } });
  });

  it('omits an empty note', async () => {
    const { core } = setup(
      {},
      { send_password_reset: () => ({ action_id: 3, email: { id: 1, status: 'sent' } }) },
    );
    await fireEvent.input(el('#reset-ticket'), { target: { value: 'SUP-1' } });
    await fireEvent.click(el('#reset-confirm'));
    await waitFor(() => expect(el('#reset-result').dataset.status).toBe('sent'));
    expect(core.log[0][1]).toMatchObject({
      request: { reason: 'forgot_password', ticket: 'SUP-1' },
    });
    expect((core.log[0][1] as { request: object }).request).not.toHaveProperty('note');
  });

  it('a new dialog uses a new idempotency key', async () => {
    const core = mockCore({ send_password_reset: () => fail('internal', '') });
    const keys: string[] = [];
    for (let i = 0; i < 2; i++) {
      const { unmount } = render(ResetDialog, { accountId: 1, username: 'u', onClose: () => {} });
      await fireEvent.input(el('#reset-ticket'), { target: { value: 'SUP-1' } });
      await fireEvent.click(el('#reset-confirm'));
      await waitFor(() => expect(core.log).toHaveLength(i + 1));
      keys.push((core.log[i][1] as { idempotencyKey: string }).idempotencyKey);
      unmount();
    }
    expect(keys[0]).not.toBe(keys[1]);
  });

  it('a cooldown rejection shows a ticking countdown and blocks confirm', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    const { core } = setup({}, { send_password_reset: () => fail('cooldown', 'wait', 125) });
    await fireEvent.input(el('#reset-ticket'), { target: { value: 'SUP-9' } });
    await fireEvent.click(el('#reset-confirm'));

    await vi.waitFor(() => expect(document.querySelector('#reset-cooldown')).not.toBeNull());
    expect(el('#reset-cooldown').textContent).toContain('You can send another in 2:05');
    expect(el<HTMLButtonElement>('#reset-confirm').disabled).toBe(true);

    await vi.advanceTimersByTimeAsync(2000);
    expect(el('#reset-cooldown').textContent).toContain('2:03');

    await vi.advanceTimersByTimeAsync(123_000);
    expect(document.querySelector('#reset-cooldown')).toBeNull();
    expect(el<HTMLButtonElement>('#reset-confirm').disabled).toBe(false);
    expect(core.log).toHaveLength(1);
  });

  it('Escape and Cancel close the dialog', async () => {
    const { onClose } = setup();
    await fireEvent.keyDown(el('#reset-ticket'), { key: 'Escape' });
    expect(onClose).toHaveBeenCalledTimes(1);
    await fireEvent.click(el('#reset-cancel'));
    expect(onClose).toHaveBeenCalledTimes(2);
  });

  it('Tab is trapped inside the dialog', async () => {
    setup();
    const confirm = el('#reset-confirm');
    confirm.focus();
    await fireEvent.keyDown(confirm, { key: 'Tab' });
    expect(document.activeElement).toBe(el('#reset-reason'));
    await fireEvent.keyDown(el('#reset-reason'), { key: 'Tab', shiftKey: true });
    expect(document.activeElement).toBe(confirm);
  });

  it('kind "answer" sends send_answer_reset, retrying with the same idempotency key', async () => {
    const { core, onSuccess } = setup(
      { kind: 'answer' },
      {
        send_answer_reset: inTurn(
          () => fail('service_unreachable', ''),
          () => ({ action_id: 40, email: { id: 7, status: 'sent' } }),
        ),
      },
    );
    expect(el('#reset-title').textContent).toBe('Send security-answer reset — alice (#42)');
    expect(el('#reset-dialog').dataset.kind).toBe('answer');

    await fireEvent.change(el('#reset-reason'), { target: { value: 'email_not_received' } });
    await fireEvent.input(el('#reset-ticket'), { target: { value: 'SUP-77' } });
    await fireEvent.click(el('#reset-confirm'));
    await waitFor(() => expect(el('#reset-error').dataset.code).toBe('service_unreachable'));
    await fireEvent.click(el('#reset-confirm'));
    await waitFor(() => expect(document.querySelector('#reset-result')).not.toBeNull());

    const [first, second] = core.log;
    expect(first[0]).toBe('send_answer_reset');
    expect(first[1]).toEqual({
      id: 42,
      request: { reason: 'email_not_received', ticket: 'SUP-77' },
      idempotencyKey: expect.any(String),
    });
    expect(second).toEqual(first);
    expect(core.log.some((c) => c[0] === 'send_password_reset')).toBe(false);
    expect(el('#reset-result').textContent?.trim()).toBe('Security-answer reset email sent (action #40)');
    expect(onSuccess).toHaveBeenCalledTimes(1);
  });

  it('the password kind (default) never calls send_answer_reset', async () => {
    const { core } = setup(
      { kind: 'password' },
      { send_password_reset: () => ({ action_id: 1, email: { id: 1, status: 'queued' } }) },
    );
    expect(el('#reset-title').textContent).toBe('Send password reset — alice (#42)');
    // The ticket first: typing at once must not pick a reason by accident.
    expect(document.activeElement).toBe(el('#reset-ticket'));
    await fireEvent.input(el('#reset-ticket'), { target: { value: 'SUP-1' } });
    await fireEvent.click(el('#reset-confirm'));
    await waitFor(() => expect(document.querySelector('#reset-result')).not.toBeNull());
    expect(core.log.map((c) => c[0])).toEqual(['send_password_reset']);
  });

  it('"Other" without a note is refused before calling; with a note it is sent', async () => {
    const { core } = setup(
      { kind: 'answer' },
      { send_answer_reset: () => ({ action_id: 2, email: { id: 3, status: 'queued' } }) },
    );
    await fireEvent.change(el('#reset-reason'), { target: { value: 'other' } });
    expect(el('#reset-note').getAttribute('aria-required')).toBe('true');
    await fireEvent.input(el('#reset-ticket'), { target: { value: 'SUP-5' } });
    await fireEvent.input(el('#reset-note'), { target: { value: '   ' } });
    await fireEvent.click(el('#reset-confirm'));

    expect(core.log).toHaveLength(0);
    expect(el('#reset-error').dataset.code).toBe('invalid_input');
    expect(el('#reset-error').textContent).toMatch(/note/i);
    expect(el('#reset-note').getAttribute('aria-invalid')).toBe('true');
    expect(document.activeElement).toBe(el('#reset-note'));

    await fireEvent.input(el('#reset-note'), { target: { value: 'User changed phone and email' } });
    await fireEvent.click(el('#reset-confirm'));
    await waitFor(() => expect(document.querySelector('#reset-result')).not.toBeNull());
    expect(core.log[0][1]).toMatchObject({
      request: { reason: 'other', ticket: 'SUP-5', note: 'User changed phone and email' },
    });
  });

  it.each([
    [
      'account_daily_cap',
      3725,
      'This account has had the most recovery emails allowed today. Try again in 1:02:05.',
    ],
    [
      'agent_hourly_cap',
      600,
      'You have sent the most recovery emails allowed this hour. Try again in 0:10:00.',
    ],
  ])(
    'a %s rejection shows its own message with a ticking wait and blocks confirm',
    async (code, wait, text) => {
      vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
      const { core } = setup({}, { send_password_reset: () => fail(code, 'capped', wait) });
      await fireEvent.input(el('#reset-ticket'), { target: { value: 'SUP-9' } });
      await fireEvent.click(el('#reset-confirm'));

      await vi.waitFor(() => expect(document.querySelector('#reset-error')).not.toBeNull());
      expect(el('#reset-error').dataset.code).toBe(code);
      expect(el('#reset-error').textContent).toBe(text);
      expect(document.querySelector('#reset-cooldown')).toBeNull();
      expect(el<HTMLButtonElement>('#reset-confirm').disabled).toBe(true);

      await vi.advanceTimersByTimeAsync(5000);
      expect(el('#reset-error').textContent).toContain(
        `Try again in ${code === 'account_daily_cap' ? '1:02:00' : '0:09:55'}.`,
      );
      // Jump the clock to the end of the wait instead of running every 250 ms tick of an hour:
      // the countdown reads the time on its next tick.
      vi.setSystemTime(Date.now() + wait * 1000);
      await vi.advanceTimersByTimeAsync(250);
      expect(el<HTMLButtonElement>('#reset-confirm').disabled).toBe(false);
      expect(core.log).toHaveLength(1);
    },
  );
});
