// The account view inside the workspace: polling, duplicates, reveal, troubleshooting, shortcuts.
import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, waitFor } from '@testing-library/svelte';
import { mockCore, type FakeCore, type Handlers } from '../../test/core';
import { el, key } from '../../test/dom';
import type { AccountDetail, ActivityEvent } from '../../lib/contract';
import Workspace from '../Workspace.svelte';

const agent = { id: 1, email: 'ana@desk.test', name: 'Ana Agent', role: 'agent' as const };

function account(id: number, extra: Partial<AccountDetail> = {}): AccountDetail {
  return {
    id,
    username: id === 1 ? 'maria.lopez' : `user${id}`,
    display_name: id === 1 ? 'María López' : `User ${id}`,
    status: 'active',
    country: 'ES',
    created_at: '2023-01-02T03:04:05Z',
    last_sign_in_at: null,
    emails: [
      { id: 31, masked: 'm***@example.com', primary: true, verified: true, bounced: false },
      { id: 32, masked: 'm***@old.example', primary: false, verified: false, bounced: true },
    ],
    phone: null,
    two_factor: [],
    security_question_set: true,
    recent_emails: [],
    password_reset_available_in: 0,
    answer_reset_available_in: 0,
    duplicates:
      id === 1
        ? [
            {
              id: 2,
              username: 'maria.l',
              display_name: 'Maria L',
              status: 'locked',
              reasons: ['same_phone', 'same_name_and_country'],
            },
          ]
        : [],
    caller_verified: null,
    ...extra,
  } as AccountDetail;
}

function event(id: number, extra: Partial<ActivityEvent> = {}): ActivityEvent {
  return {
    id,
    at: `2024-05-01T10:${String(id).padStart(2, '0')}:00Z`,
    kind: 'email',
    summary: `event ${id}`,
    actor: null,
    email_id: null,
    email_status: null,
    link: null,
    ...extra,
  };
}

let core: FakeCore;

function backend(overrides: Handlers = {}) {
  core = mockCore({
    search_accounts: () => ({
      items: [
        {
          id: 1,
          username: 'maria.lopez',
          display_name: 'María López',
          status: 'active',
          country: 'ES',
          primary_email: 'm***@example.com',
        },
        {
          id: 2,
          username: 'maria.l',
          display_name: 'Maria L',
          status: 'locked',
          country: 'ES',
          primary_email: 'm***@x.example',
        },
      ],
      next_cursor: null,
    }),
    get_account: (a) => account(a.id as number),
    account_activity: (a) =>
      a.cursor === null
        ? {
            items: [
              event(2, {
                kind: 'agent_sent',
                actor: 'ana@desk.test',
                email_status: 'delivered',
                link: 'opened',
              }),
              event(1),
            ],
            next_cursor: 'older',
          }
        : { items: [event(0, { kind: 'user_requested' })], next_cursor: null },
    ...overrides,
  });
}

const calls = (cmd: string) => core.log.filter((c) => c[0] === cmd);

/** Renders the workspace and opens the first search result (maria.lopez, id 1). */
async function openMaria() {
  const view = render(Workspace, { agent, serverUrl: 'https://desk.example.com/', onSignOut: () => {} });
  const search = el<HTMLInputElement>('#search');
  await fireEvent.input(search, { target: { value: 'maria' } });
  await key(search, 'Enter');
  await waitFor(() => expect(document.querySelectorAll('[data-testid="result"]')).toHaveLength(2));
  await key(search, 'ArrowDown');
  await key(search, 'Enter');
  await waitFor(() => expect(el('#account-username').textContent).toBe('maria.lopez'));
  await waitFor(() => expect(document.querySelectorAll('[data-testid="activity"]')).toHaveLength(2));
  return view;
}

describe('account view', () => {
  it('shows the facts, the weakest factor, both resets, activity, duplicates and the checklist', async () => {
    backend({
      get_account: (a) =>
        account(a.id as number, {
          status: 'locked',
          answer_reset_available_in: 95,
          recent_emails: [
            {
              id: 5,
              kind: 'password_reset',
              to_masked: 'm***@example.com',
              status: 'delivered',
              created_at: '2024-05-01T10:00:00Z',
              link: 'expired',
            },
          ],
        }),
    });
    await openMaria();

    expect(el('#account-lock').textContent).toMatch(/locked/i);
    expect(el('#security-question').textContent).toContain(
      'Security answer set — the weakest factor; prefer 2FA',
    );

    const password = el<HTMLButtonElement>('#action-password-reset');
    const answer = el<HTMLButtonElement>('#action-answer-reset');
    expect(password.textContent).toContain('Resend password reset');
    expect(password.disabled).toBe(false);
    expect(answer.textContent).toContain('Send security-answer reset');
    expect(answer.disabled).toBe(true);
    expect(el('#answer-reset-wait').textContent).toContain('1:35');

    expect(el('#recent-emails').textContent).toContain('Link expired');

    const items = document.querySelectorAll<HTMLElement>('#activity [data-testid="activity"]');
    expect(Array.from(items, (i) => i.dataset.kind)).toEqual(['agent_sent', 'email']);
    expect(items[0].textContent).toContain('by ana@desk.test');
    expect(items[0].textContent).toContain('Delivered');
    expect(items[0].textContent).toContain('Link opened');
    await fireEvent.click(el('#activity-more'));
    await waitFor(() => expect(document.querySelectorAll('[data-testid="activity"]')).toHaveLength(3));
    expect(core.log).toContainEqual(['account_activity', { id: 1, cursor: 'older' }]);
    expect(document.querySelector('#activity-more')).toBeNull();

    const dup = el('#duplicates [data-testid="duplicate"]');
    expect(dup.textContent).toContain('maria.l');
    expect(dup.textContent).toContain('Same phone');
    expect(dup.textContent).toContain('Same name and country');

    const checks = document.querySelectorAll('#troubleshooting [data-testid="check-item"]');
    expect(checks).toHaveLength(5);
    expect(el('#security-details-url').textContent).toBe('https://desk.example.com/security-details');
  });

  it('polls the activity and the account every 3 s while open, and stops when unmounted', async () => {
    backend();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const view = await openMaria();
    const activityBefore = calls('account_activity').length;
    const accountBefore = calls('get_account').length;

    await vi.advanceTimersByTimeAsync(3000);
    expect(calls('account_activity').length).toBe(activityBefore + 1);
    expect(calls('get_account').length).toBe(accountBefore + 1);
    expect(calls('account_activity').at(-1)).toEqual(['account_activity', { id: 1, cursor: null }]);

    await vi.advanceTimersByTimeAsync(6000);
    expect(calls('account_activity').length).toBe(activityBefore + 3);
    expect(calls('get_account').length).toBe(accountBefore + 3);

    view.unmount();
    const after = core.log.length;
    await vi.advanceTimersByTimeAsync(30_000);
    expect(core.log.length).toBe(after);
  });

  it('a new event shows up on its own; polling follows the account that is open', async () => {
    let newest: ActivityEvent[] = [];
    backend({
      account_activity: (a) => ({
        items: a.id === 1 ? [...newest, event(2), event(1)] : [event(50)],
        next_cursor: null,
      }),
    });
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    await openMaria();
    newest = [event(3, { kind: 'link_opened', link: 'opened' })];
    await vi.advanceTimersByTimeAsync(3000);
    const kinds = () =>
      Array.from(document.querySelectorAll<HTMLElement>('[data-testid="activity"]'), (i) => i.dataset.kind);
    expect(kinds()).toEqual(['link_opened', 'email', 'email']);

    // Open the duplicate: the old account is no longer polled.
    await fireEvent.click(el('[data-testid="duplicate"]'));
    await vi.advanceTimersByTimeAsync(0);
    expect(el('#account-username').textContent).toBe('user2');
    const polledOne = () => calls('account_activity').filter((c) => (c[1] as { id: number }).id === 1).length;
    const before = polledOne();
    await vi.advanceTimersByTimeAsync(9000);
    expect(polledOne()).toBe(before);
    expect(calls('account_activity').at(-1)).toEqual(['account_activity', { id: 2, cursor: null }]);
  });

  it('clicking or pressing Enter on a duplicate opens it', async () => {
    backend();
    await openMaria();
    const dup = el<HTMLButtonElement>('[data-testid="duplicate"]');
    expect(dup.tagName).toBe('BUTTON'); // Enter and Space activate it natively
    dup.focus();
    await fireEvent.click(dup);
    await waitFor(() => expect(el('#account-username').textContent).toBe('user2'));
    expect(core.log).toContainEqual(['get_account', { id: 2 }]);
  });

  it('troubleshooting ticks are kept while the account is open and reset for another account', async () => {
    backend();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    await openMaria();
    const box = (id: string) => el<HTMLInputElement>(`[data-testid="check-item"][data-item="${id}"]`);
    await fireEvent.click(box('spam'));
    await fireEvent.click(box('browser'));
    expect(box('spam').checked).toBe(true);

    // Refreshes (polling) and opening the same account again keep them.
    await vi.advanceTimersByTimeAsync(6000);
    expect(box('spam').checked).toBe(true);
    expect(box('browser').checked).toBe(true);
    await key(el('#search'), 'Enter');
    await vi.advanceTimersByTimeAsync(0);
    expect(el('#account-username').textContent).toBe('maria.lopez');
    expect(box('spam').checked).toBe(true);

    // Another account starts clean, and so does the first one when opened again.
    await fireEvent.click(el('[data-testid="duplicate"]'));
    await vi.advanceTimersByTimeAsync(0);
    expect(el('#account-username').textContent).toBe('user2');
    expect(
      Array.from(document.querySelectorAll<HTMLInputElement>('[data-testid="check-item"]'), (c) => c.checked),
    ).toEqual([false, false, false, false, false]);
    await fireEvent.click(el('[data-testid="result"][data-id="1"]'));
    await vi.advanceTimersByTimeAsync(0);
    expect(el('#account-username').textContent).toBe('maria.lopez');
    expect(box('spam').checked).toBe(false);
  });

  it('reveals an address after a reason and ticket, in place, noting it was recorded', async () => {
    backend({ reveal_address: () => ({ address: 'maria.lopez@old.example' }) });
    await openMaria();
    const reveal = document.querySelectorAll<HTMLButtonElement>('#account-emails [data-testid="reveal"]')[1];
    await fireEvent.click(reveal);
    expect(document.querySelector('#reveal-dialog')).not.toBeNull();

    await fireEvent.input(el('#reveal-reason'), { target: { value: 'too short' } });
    await fireEvent.input(el('#reveal-ticket'), { target: { value: 'SUP-8' } });
    await fireEvent.click(el('#reveal-confirm'));
    expect(calls('reveal_address')).toHaveLength(0);
    expect(el('#reveal-error').textContent).toMatch(/at least 10 characters/);

    await fireEvent.input(el('#reveal-reason'), { target: { value: 'User cannot tell which address' } });
    await fireEvent.click(el('#reveal-confirm'));
    await waitFor(() => expect(document.querySelector('#reveal-dialog')).toBeNull());
    expect(calls('reveal_address')).toEqual([
      [
        'reveal_address',
        { id: 1, emailId: 32, request: { reason: 'User cannot tell which address', ticket: 'SUP-8' } },
      ],
    ]);
    const row = el('#account-emails [data-testid="email"][data-id="32"]');
    expect(row.querySelector('[data-revealed="true"]')?.textContent).toBe('maria.lopez@old.example');
    expect(row.textContent).toMatch(/recorded/);
    // The other address stays masked.
    expect(el('#account-emails [data-testid="email"][data-id="31"]').textContent).toContain(
      'm***@example.com',
    );
  });
});

describe('account view keyboard', () => {
  it('? opens the shortcuts help listing every shortcut; Esc closes it', async () => {
    backend();
    await openMaria();
    el<HTMLButtonElement>('#action-password-reset').focus();
    await key(document.activeElement!, '?', { shiftKey: true });
    const help = el('#shortcuts-help');
    expect(help.getAttribute('aria-modal')).toBe('true');
    const text = help.textContent ?? '';
    for (const k of [
      '?',
      '/',
      'Ctrl+K',
      'Cmd+K',
      '↑',
      '↓',
      'Enter',
      'Alt+1',
      'Alt+2',
      'Alt+3',
      'Esc',
      'P',
      'A',
      'C',
      'R',
      'N',
    ]) {
      expect(text).toContain(k);
    }
    expect(help.contains(document.activeElement)).toBe(true);
    // Shortcuts stay quiet while the help is open.
    await key(document.activeElement!, 'p');
    expect(document.querySelector('#reset-dialog')).toBeNull();
    await key(document.activeElement!, 'Escape');
    expect(document.querySelector('#shortcuts-help')).toBeNull();
  });

  it('shortcuts are ignored while typing in an input', async () => {
    backend();
    await openMaria();
    const search = el<HTMLInputElement>('#search');
    search.focus();
    for (const k of ['?', 'p', 'a', 'c', 'r']) await key(search, k);
    expect(document.activeElement).toBe(search);
    const input = el<HTMLInputElement>('#address-check-input');
    input.focus();
    for (const k of ['?', 'p', 'a', 'r']) await key(input, k);
    expect(document.querySelector('#shortcuts-help')).toBeNull();
    expect(document.querySelector('#reset-dialog')).toBeNull();
    expect(document.querySelector('#reveal-dialog')).toBeNull();
    expect(document.activeElement).toBe(input);
  });

  it('p and a open the matching reset dialog, c focuses the address check, r opens the reveal', async () => {
    backend({ send_answer_reset: () => ({ action_id: 9, email: { id: 77, status: 'queued' } }) });
    await openMaria();
    await key(document.body, 'a');
    expect(el('#reset-dialog').dataset.kind).toBe('answer');
    await fireEvent.input(el('#reset-ticket'), { target: { value: 'SUP-3' } });
    await fireEvent.click(el('#reset-confirm'));
    await waitFor(() => expect(document.querySelector('#reset-result')).not.toBeNull());
    expect(calls('send_answer_reset')).toHaveLength(1);
    expect(calls('send_password_reset')).toHaveLength(0);
    await key(el('#reset-dialog'), 'Escape');
    expect(document.querySelector('#reset-dialog')).toBeNull();

    await key(document.body, 'p');
    expect(el('#reset-dialog').dataset.kind).toBe('password');
    await key(el('#reset-dialog'), 'Escape');

    await key(document.body, 'c');
    expect(document.activeElement).toBe(el('#address-check-input'));
    el('#account-detail').focus();
    await key(document.body, 'r');
    expect(el('#reveal-dialog').textContent).toContain('m***@example.com');
    await key(el('#reveal-dialog'), 'Escape');
    expect(document.querySelector('#reveal-dialog')).toBeNull();
  });
});
