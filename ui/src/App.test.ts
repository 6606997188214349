import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, waitFor } from '@testing-library/svelte';
import { fail, mockCore, type FakeCore, type Handlers } from './test/core';
import { el, key } from './test/dom';
import { desktop } from './lib/desktop.svelte';
import App from './App.svelte';

const agent = { id: 1, email: 'ana@desk.test', name: 'Ana Agent', role: 'lead' as const };
const signedIn = {
  signed_in: true,
  agent,
  server_url: 'http://127.0.0.1:8787',
  expires_at: null,
  ends_at: null,
  notice: null,
  idle_lock_secs: 900,
};

const summaries = [
  {
    id: 11,
    username: 'alice',
    display_name: 'Alice A',
    status: 'active',
    country: 'DE',
    primary_email: 'a***@example.com',
  },
  {
    id: 12,
    username: 'alina',
    display_name: 'Alina B',
    status: 'locked',
    country: 'FR',
    primary_email: 'a***@example.org',
  },
];

function detail(id: number, extra: object = {}) {
  const s = summaries.find((x) => x.id === id)!;
  return {
    ...s,
    created_at: '2023-01-02T03:04:05Z',
    last_sign_in_at: null,
    emails: [{ id: id * 10, masked: s.primary_email, primary: true, verified: true, bounced: false }],
    phone: '+49 *** ** 12',
    two_factor: [{ kind: 'authenticator_app', last_used_at: null }],
    security_question_set: false,
    recent_emails: [],
    password_reset_available_in: 0,
    answer_reset_available_in: 0,
    duplicates: [],
    ...extra,
  };
}

let core: FakeCore;

function backend(handlers: Handlers) {
  core = mockCore(handlers);
}

/** Signed in with the two accounts of `summaries` searchable: searches "ali" and opens the first. */
async function openFirstAccount(): Promise<HTMLInputElement> {
  backend({
    session_status: () => signedIn,
    search_accounts: () => ({ items: summaries, next_cursor: null }),
    get_account: (a) => detail(a.id as number),
    account_activity: () => ({ items: [], next_cursor: null }),
  });
  render(App);
  await waitFor(() => expect(el('#agent-name').textContent).toBe('Ana Agent'));
  const search = el<HTMLInputElement>('#search');
  await fireEvent.input(search, { target: { value: 'ali' } });
  await key(search, 'Enter');
  await waitFor(() => expect(document.querySelectorAll('[data-testid="result"]')).toHaveLength(2));
  await key(search, 'ArrowDown');
  await key(search, 'Enter');
  await waitFor(() => expect(el('#account-username').textContent).toBe('alice'));
  return search;
}

const aboutInfo = {
  app_version: '0.1.0',
  server_url: 'http://127.0.0.1:8787',
  service: { version: '0.1.0', api: 'v1' },
  service_error: null,
  notifications: false,
  diagnostics: 'Recovery Desk 0.1.0',
  managed: [],
  updates: { on: true, decided_by: 'default', agent_may_change: true },
};

describe('App', () => {
  // Module state: a test that failed with About open would leave it open for the next ones.
  afterEach(() => {
    desktop.aboutOpen = false;
  });

  it('starts on sign-in with the notice when no session was restored', async () => {
    backend({
      session_status: () => ({
        signed_in: false,
        agent: null,
        server_url: 'http://127.0.0.1:9000',
        expires_at: null,
        ends_at: null,
        notice: 'Your saved session expired; sign in again.',
        idle_lock_secs: 900,
      }),
    });
    render(App);
    await waitFor(() => expect(document.querySelector('#sign-in')).not.toBeNull());
    expect(el<HTMLInputElement>('#server-url').value).toBe('http://127.0.0.1:9000');
    expect(el('#sign-in-notice').textContent).toBe('Your saved session expired; sign in again.');
  });

  it('searches, moves with the arrows, opens with Enter and resets with p', async () => {
    let resets = 0;
    backend({
      session_status: () => signedIn,
      search_accounts: () => ({ items: summaries, next_cursor: null }),
      get_account: (a) =>
        detail(a.id as number, {
          recent_emails: resets
            ? [
                {
                  id: 5,
                  kind: 'password_reset',
                  to_masked: 'a***@example.org',
                  status: 'queued',
                  created_at: '2024-05-01T10:00:00Z',
                  link: 'pending',
                },
              ]
            : [],
          password_reset_available_in: resets ? 300 : 0,
        }),
      account_activity: () => ({ items: [], next_cursor: null }),
      send_password_reset: () => {
        resets++;
        return { action_id: 12, email: { id: 5, status: 'queued' } };
      },
    });
    render(App);
    await waitFor(() => expect(el('#agent-name').textContent).toBe('Ana Agent'));
    const search = el<HTMLInputElement>('#search');
    expect(document.activeElement).toBe(search);

    await fireEvent.input(search, { target: { value: 'ali' } });
    await key(search, 'Enter');
    await waitFor(() => expect(document.querySelectorAll('[data-testid="result"]')).toHaveLength(2));
    expect(core.log).toContainEqual(['search_accounts', { q: 'ali', cursor: null }]);
    expect(document.querySelector('#load-more')).toBeNull();

    await key(search, 'ArrowDown');
    await key(search, 'ArrowDown');
    await key(search, 'ArrowDown');
    const rows = document.querySelectorAll<HTMLElement>('[data-testid="result"]');
    expect(rows[1].getAttribute('aria-selected')).toBe('true');
    expect(rows[0].getAttribute('aria-selected')).toBe('false');
    await key(search, 'ArrowUp');
    expect(rows[0].getAttribute('aria-selected')).toBe('true');
    await key(search, 'ArrowDown');

    await key(search, 'Enter');
    await waitFor(() => expect(el('#account-username').textContent).toBe('alina'));
    expect(core.log).toContainEqual(['get_account', { id: 12 }]);

    // `p` in the search box types a letter; elsewhere it opens the reset dialog.
    await key(search, 'p');
    expect(document.querySelector('#reset-dialog')).toBeNull();
    el('#account-detail').focus();
    await key(document.body, 'p');
    expect(document.querySelector('#reset-dialog')).not.toBeNull();

    await fireEvent.input(el('#reset-ticket'), { target: { value: 'SUP-7' } });
    await fireEvent.click(el('#reset-confirm'));
    await waitFor(() => expect(el('#reset-result').dataset.status).toBe('queued'));
    // The detail is fetched again: the new email shows and the button counts down.
    await waitFor(() => expect(document.querySelectorAll('#recent-emails li')).toHaveLength(1));
    expect(el<HTMLButtonElement>('#action-password-reset').disabled).toBe(true);
    expect(el('#action-password-reset').textContent).toContain('Resend password reset');

    await key(el('#reset-dialog'), 'Escape');
    expect(document.querySelector('#reset-dialog')).toBeNull();

    // `/` focuses the search box from anywhere outside a text field.
    el<HTMLButtonElement>('#sign-out').focus();
    await key(document.activeElement!, '/');
    expect(document.activeElement).toBe(search);
  });

  it('an opened account takes the focus; one result opens with Enter; Esc leaves the search box; a stale pane says so', async () => {
    backend({
      session_status: () => signedIn,
      search_accounts: (a) => ({
        items: a.q === 'alice' ? [summaries[0]] : a.q === 'zed' ? [] : summaries,
        next_cursor: null,
      }),
      get_account: (a) => detail(a.id as number),
      account_activity: () => ({ items: [], next_cursor: null }),
    });
    render(App);
    await waitFor(() => expect(el('#agent-name').textContent).toBe('Ana Agent'));
    const search = el<HTMLInputElement>('#search');
    await fireEvent.input(search, { target: { value: 'alice' } });
    await key(search, 'Enter');
    await waitFor(() => expect(document.querySelectorAll('[data-testid="result"]')).toHaveLength(1));
    // The only result: Enter opens it, nothing to arrow to first.
    await key(search, 'Enter');
    await waitFor(() => expect(el('#account-username').textContent).toBe('alice'));
    await waitFor(() => expect(document.activeElement).toBe(el('#account-detail')));
    // So its shortcuts work at once.
    await key(document.activeElement!, 'p');
    expect(el('#reset-title').textContent).toBe('Send password reset — alice (#11)');
    await key(el('#reset-dialog'), 'Escape');
    expect(document.querySelector('#reset-dialog')).toBeNull();
    // Back in the search box, Esc returns to the account.
    search.focus();
    await key(search, 'Escape');
    expect(document.activeElement).toBe(el('#account-detail'));
    expect(document.querySelector('#stale-account')).toBeNull();
    // Another search that does not list it: the pane says whose actions these are.
    await fireEvent.input(search, { target: { value: 'zed' } });
    await key(search, 'Enter');
    await waitFor(() => expect(el('#stale-account').textContent).toContain('this is still alice (#11)'));
  });

  it('About is a modal dialog: labelled, the screen shortcuts stay quiet, Esc closes it and the focus goes back', async () => {
    await openFirstAccount();
    core.on({ about: () => aboutInfo });
    const opener = el<HTMLButtonElement>('#about-open');
    opener.focus();
    await fireEvent.click(opener);
    await waitFor(() => expect(el('#about-app-version').textContent).toBe('0.1.0'));
    const about = el('#about-dialog');
    expect(about.getAttribute('role')).toBe('dialog');
    expect(about.getAttribute('aria-modal')).toBe('true');
    expect(el(`#${about.getAttribute('aria-labelledby')}`).textContent).toBe('About Recovery Desk');
    expect(document.activeElement).toBe(el('#about-close'));

    // `p` would open the reset dialog and `/` the search box underneath: not while About is open.
    await key(document.activeElement!, 'p');
    await key(document.body, 'p');
    await key(document.body, '/');
    expect(document.querySelector('#reset-dialog')).toBeNull();
    expect(document.activeElement).toBe(el('#about-close'));

    await key(document.activeElement!, 'Escape');
    expect(document.querySelector('#about-dialog')).toBeNull();
    expect(document.activeElement).toBe(opener);
    // Closed, the shortcuts work again.
    await key(document.body, 'p');
    expect(document.querySelector('#reset-dialog')).not.toBeNull();
  });

  it('F1 opens About over an open dialog; Esc closes About alone and the focus goes back into the dialog', async () => {
    await openFirstAccount();
    core.on({ about: () => aboutInfo });
    el('#account-detail').focus();
    await key(document.body, 'p');
    const ticket = el<HTMLInputElement>('#reset-ticket');
    ticket.focus();

    await key(ticket, 'F1');
    await waitFor(() => expect(el('#about-app-version').textContent).toBe('0.1.0'));
    expect(document.activeElement).toBe(el('#about-close'));
    // The reset dialog lets the focus go (a browser reports it leaving for About's button).
    await fireEvent.focusOut(ticket, { relatedTarget: el('#about-close') });
    expect(document.activeElement).toBe(el('#about-close'));
    // Tab goes round About's own controls, never into the dialog beneath.
    await key(document.activeElement!, 'Tab');
    expect(document.activeElement).toBe(el('#about-diagnostics'));
    // On to Copy: the browser's move, left alone.
    expect(await key(document.activeElement!, 'Tab')).toBe(true);
    expect(document.activeElement).toBe(el('#about-diagnostics'));

    await key(document.activeElement!, 'Escape');
    expect(document.querySelector('#about-dialog')).toBeNull();
    expect(document.querySelector('#reset-dialog')).not.toBeNull();
    expect(document.activeElement).toBe(ticket);
  });

  it('Alt+Left and Alt+Right go back and forward over the accounts opened', async () => {
    const search = await openFirstAccount();
    search.focus();
    await key(search, 'ArrowDown');
    await key(search, 'Enter');
    await waitFor(() => expect(el('#account-username').textContent).toBe('alina'));
    const opened = () =>
      core.log.filter((c) => c[0] === 'get_account').map((c) => (c[1] as { id: number }).id);
    expect(opened()).toEqual([11, 12]);

    const altKey = async (k: string) =>
      fireEvent.keyDown(document.activeElement ?? document.body, { key: k, altKey: true });
    await altKey('ArrowLeft');
    await waitFor(() => expect(el('#account-username').textContent).toBe('alice'));
    await altKey('ArrowLeft');
    await altKey('ArrowRight');
    await waitFor(() => expect(el('#account-username').textContent).toBe('alina'));
    // Going back and forward is not a new step: one more Right has nowhere to go.
    await altKey('ArrowRight');
    expect(opened()).toEqual([11, 12, 11, 12]);
  });

  it('I and M copy the account id and the masked main address, and say so', async () => {
    const writeText = vi.fn().mockResolvedValue(undefined);
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    const search = await openFirstAccount();
    const account = detail(summaries[0].id);
    // In the search box the letters are typed, not shortcuts.
    await key(search, 'i');
    expect(writeText).not.toHaveBeenCalled();
    el('#account-detail').focus();
    await key(document.body, 'i');
    await waitFor(() => expect(writeText).toHaveBeenCalledWith(String(account.id)));
    await waitFor(() => expect(el('#copy-status').textContent).toBe(`Copied the account id: ${account.id}`));
    await key(document.body, 'm');
    const main = account.emails.find((e) => e.primary)!.masked;
    await waitFor(() => expect(writeText).toHaveBeenLastCalledWith(main));
    expect(el('#copy-status').textContent).toBe(`Copied the masked address: ${main}`);
  });

  it('loads more results when there is a next cursor', async () => {
    backend({
      session_status: () => signedIn,
      search_accounts: (a) =>
        a.cursor === null
          ? { items: [summaries[0]], next_cursor: 'c2' }
          : { items: [summaries[1]], next_cursor: null },
    });
    render(App);
    await waitFor(() => expect(document.querySelector('#search')).not.toBeNull());
    await fireEvent.input(el('#search'), { target: { value: 'al' } });
    await key(el('#search'), 'Enter');
    await waitFor(() => expect(document.querySelector('#load-more')).not.toBeNull());
    await fireEvent.click(el('#load-more'));
    await waitFor(() => expect(document.querySelectorAll('[data-testid="result"]')).toHaveLength(2));
    expect(core.log).toContainEqual(['search_accounts', { q: 'al', cursor: 'c2' }]);
    expect(document.querySelector('#load-more')).toBeNull();
  });

  it('searches as you type after a pause, from 2 characters on', async () => {
    backend({
      session_status: () => signedIn,
      search_accounts: () => ({ items: summaries, next_cursor: null }),
    });
    render(App);
    await waitFor(() => expect(document.querySelector('#search')).not.toBeNull());
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      await fireEvent.input(el('#search'), { target: { value: 'a' } });
      await vi.advanceTimersByTimeAsync(1000);
      expect(core.calls('search_accounts')).toHaveLength(0);
      await fireEvent.input(el('#search'), { target: { value: 'al' } });
      await vi.advanceTimersByTimeAsync(100);
      await fireEvent.input(el('#search'), { target: { value: 'ali' } });
      await vi.advanceTimersByTimeAsync(200);
      expect(core.calls('search_accounts')).toHaveLength(0);
      await vi.advanceTimersByTimeAsync(60);
      expect(core.log.filter((c) => c[0] === 'search_accounts')).toEqual([
        ['search_accounts', { q: 'ali', cursor: null }],
      ]);
    } finally {
      vi.useRealTimers();
    }
    await waitFor(() => expect(document.querySelectorAll('[data-testid="result"]')).toHaveLength(2));
  });

  it('goes back to sign-in with a notice when the session is gone', async () => {
    backend({
      session_status: () => signedIn,
      search_accounts: () => fail('session_expired', 'expired'),
    });
    render(App);
    await waitFor(() => expect(document.querySelector('#search')).not.toBeNull());
    await fireEvent.input(el('#search'), { target: { value: 'al' } });
    await key(el('#search'), 'Enter');
    await waitFor(() => expect(document.querySelector('#sign-in-notice')).not.toBeNull());
    expect(el('#sign-in-notice').textContent).toBe('Your session expired; sign in again.');
    expect(el<HTMLInputElement>('#server-url').value).toBe('http://127.0.0.1:8787');
  });

  it('signs out', async () => {
    backend({
      session_status: () => signedIn,
      sign_out: () => ({ ...signedIn, signed_in: false, agent: null }),
    });
    render(App);
    await waitFor(() => expect(document.querySelector('#sign-out')).not.toBeNull());
    await fireEvent.click(el('#sign-out'));
    await waitFor(() => expect(document.querySelector('#sign-in')).not.toBeNull());
    expect(document.querySelector('#sign-in-notice')).toBeNull();
  });

  it('agents never see the Audit tab, and Alt+2 does nothing for them', async () => {
    backend({ session_status: () => ({ ...signedIn, agent: { ...agent, role: 'agent' } }) });
    render(App);
    await waitFor(() => expect(document.querySelector('#nav-lookup')).not.toBeNull());
    expect(document.querySelector('#nav-audit')).toBeNull();
    expect(el('#nav-lookup').getAttribute('aria-current')).toBe('page');
    await key(window, '2', { altKey: true, code: 'Digit2' });
    expect(document.querySelector('#audit-view')).toBeNull();
    expect(core.log.some((c) => String(c[0]).startsWith('audit_'))).toBe(false);
  });

  it('leads switch between Lookup and Audit with the tabs and Alt+1 / Alt+2', async () => {
    backend({
      session_status: () => signedIn,
      audit_query: () => ({ items: [], next_cursor: null }),
      audit_figures: () => ({ from: '', to: '', agents: [], anomalies: [] }),
    });
    render(App);
    await waitFor(() => expect(document.querySelector('#nav-audit')).not.toBeNull());
    // The audit view is not even mounted (no audit calls) until it is opened.
    expect(document.querySelector('#audit-view')).toBeNull();

    await fireEvent.click(el('#nav-audit'));
    await waitFor(() => expect(document.querySelector('#audit-view')).not.toBeNull());
    expect(el('#nav-audit').getAttribute('aria-current')).toBe('page');
    expect(el('#audit-view').closest<HTMLElement>('.view')!.hidden).toBe(false);
    expect(el('#search').closest<HTMLElement>('.view')!.hidden).toBe(true);
    await waitFor(() => expect(core.log).toContainEqual(['audit_query', { filter: {}, cursor: null }]));

    await key(window, '1', { altKey: true, code: 'Digit1' });
    await waitFor(() => expect(el('#search').closest<HTMLElement>('.view')!.hidden).toBe(false));
    expect(el('#audit-view').closest<HTMLElement>('.view')!.hidden).toBe(true);
    expect(el('#nav-lookup').getAttribute('aria-current')).toBe('page');
    expect(document.activeElement).toBe(el('#search'));

    await key(window, '2', { altKey: true, code: 'Digit2' });
    await waitFor(() => expect(el('#audit-view').closest<HTMLElement>('.view')!.hidden).toBe(false));
    // Kept mounted: switching back does not query again.
    expect(core.log.filter((c) => c[0] === 'audit_query')).toHaveLength(1);
  });

  it('every role has the Queue tab between Lookup and Audit; Alt+3 opens it', async () => {
    backend({
      session_status: () => ({ ...signedIn, agent: { ...agent, role: 'agent' } }),
      queue_counts: () => [{ state: 'open', count: 1 }],
      queue_list: () => ({
        items: [
          {
            id: 5,
            reference: 'SD-5',
            state: 'open',
            risk: 'low',
            change: 'phone',
            account_id: 11,
            username: 'alice',
            submitted_at: '2024-05-01T10:00:00Z',
            sla_due_at: '2099-05-01T10:00:00Z',
            assignee: null,
            assignee_id: null,
          },
        ],
        next_cursor: null,
      }),
    });
    render(App);
    await waitFor(() => expect(document.querySelector('#nav-queue')).not.toBeNull());
    // Not mounted (no queue calls) until opened.
    expect(document.querySelector('#queue-view')).toBeNull();
    expect(Array.from(document.querySelectorAll('.main-nav button')).map((b) => b.id)).toEqual([
      'nav-lookup',
      'nav-queue',
      'nav-settings',
    ]);

    await key(window, '3', { altKey: true, code: 'Digit3' });
    await waitFor(() => expect(document.querySelectorAll('[data-testid="queue-item"]')).toHaveLength(1));
    expect(el('#nav-queue').getAttribute('aria-current')).toBe('page');
    expect(el('#search').closest<HTMLElement>('.view')!.hidden).toBe(true);
    expect(document.activeElement).toBe(el('#queue-list'));

    await fireEvent.click(el('#nav-lookup'));
    await waitFor(() => expect(el('#queue-view').closest<HTMLElement>('.view')!.hidden).toBe(true));
    // `n` claims only while the queue is shown.
    el<HTMLButtonElement>('#sign-out').focus();
    await key(document.activeElement!, 'n');
    expect(core.log.some((c) => c[0] === 'queue_claim_next')).toBe(false);
  });

  it('leads see Lookup, Queue, Audit in that order, then Settings', async () => {
    backend({ session_status: () => signedIn });
    render(App);
    await waitFor(() => expect(document.querySelector('#nav-audit')).not.toBeNull());
    expect(Array.from(document.querySelectorAll('.main-nav button')).map((b) => b.id)).toEqual([
      'nav-lookup',
      'nav-queue',
      'nav-audit',
      'nav-settings',
    ]);
  });
});

describe('idle lock', () => {
  const signedOut = { ...signedIn, signed_in: false, agent: null };
  const signOutCalls = () => core.log.filter((c) => c[0] === 'sign_out').length;

  /** Boots signed in with fake timers (and clock) from the start, so the idle timer is a fake one. */
  async function bootSignedIn(idleLockSecs: number) {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    backend({
      session_status: () => ({ ...signedIn, idle_lock_secs: idleLockSecs }),
      sign_out: () => signedOut,
    });
    render(App);
    await vi.advanceTimersByTimeAsync(0);
    expect(el('#agent-name').textContent).toBe('Ana Agent');
  }

  it('signs out after idle_lock_secs without activity and says why at sign-in', async () => {
    await bootSignedIn(900);
    await vi.advanceTimersByTimeAsync(839_999);
    expect(document.querySelector('#idle-warning')).toBeNull();
    await vi.advanceTimersByTimeAsync(1);
    const warning = el('#idle-warning');
    expect(warning.getAttribute('role')).toBe('alert');
    expect(warning.getAttribute('aria-live')).toBe('assertive');
    expect(warning.textContent!.trim()).toBe(
      'You will be signed out in 1:00 — move the mouse or press a key to stay signed in',
    );
    await vi.advanceTimersByTimeAsync(1000);
    expect(el('#idle-warning').textContent).toContain('signed out in 0:59');
    await vi.advanceTimersByTimeAsync(58_999);
    expect(signOutCalls()).toBe(0);
    expect(document.querySelector('#agent-name')).not.toBeNull();

    await vi.advanceTimersByTimeAsync(1);
    await vi.advanceTimersByTimeAsync(0);
    expect(signOutCalls()).toBe(1);
    expect(document.querySelector('#sign-in')).not.toBeNull();
    expect(document.querySelector('#idle-warning')).toBeNull();
    expect(el('#sign-in-notice').textContent).toBe(
      'Signed out after 15 minutes without activity. Sign in again.',
    );

    // No timer and no listeners once signed out.
    await fireEvent.keyDown(window, { key: 'a' });
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(signOutCalls()).toBe(1);
  });

  it('shows the sign-in notice even when the service cannot be told', async () => {
    await bootSignedIn(120);
    core.on({ sign_out: () => fail('service_unreachable', 'down') });
    await vi.advanceTimersByTimeAsync(120_000);
    await vi.advanceTimersByTimeAsync(0);
    expect(signOutCalls()).toBe(1);
    expect(el('#sign-in-notice').textContent).toBe(
      'Signed out after 2 minutes without activity. Sign in again.',
    );
  });

  it('activity before the limit keeps the agent signed in and hides the warning', async () => {
    await bootSignedIn(900);
    await vi.advanceTimersByTimeAsync(850_000);
    expect(document.querySelector('#idle-warning')).not.toBeNull();
    await fireEvent.mouseMove(document.body);
    expect(document.querySelector('#idle-warning')).toBeNull();

    await vi.advanceTimersByTimeAsync(899_000);
    expect(signOutCalls()).toBe(0);
    // A key press (even one a handler stops) counts.
    el('#search').addEventListener('keydown', (e) => e.stopPropagation());
    await fireEvent.keyDown(el('#search'), { key: 'x' });
    await vi.advanceTimersByTimeAsync(600_000);
    await fireEvent.wheel(document.body);
    await vi.advanceTimersByTimeAsync(600_000);
    await fireEvent.mouseDown(document.body);
    await vi.advanceTimersByTimeAsync(600_000);
    await fireEvent.touchStart(document.body);
    await vi.advanceTimersByTimeAsync(600_000);
    await fireEvent.focus(window);
    await vi.advanceTimersByTimeAsync(899_000);
    expect(signOutCalls()).toBe(0);
    expect(document.querySelector('#agent-name')).not.toBeNull();
    expect(document.querySelector('#sign-in-notice')).toBeNull();

    await vi.advanceTimersByTimeAsync(1000);
    await vi.advanceTimersByTimeAsync(0);
    expect(signOutCalls()).toBe(1);
    expect(el('#sign-in-notice').textContent).toBe(
      'Signed out after 15 minutes without activity. Sign in again.',
    );
  });

  it('0 never signs out', async () => {
    await bootSignedIn(0);
    await vi.advanceTimersByTimeAsync(48 * 3_600_000);
    expect(signOutCalls()).toBe(0);
    expect(document.querySelector('#idle-warning')).toBeNull();
    expect(document.querySelector('#agent-name')).not.toBeNull();
  });

  it('a sign-out by hand stops the idle timer', async () => {
    await bootSignedIn(900);
    await fireEvent.click(el('#sign-out'));
    await vi.advanceTimersByTimeAsync(0);
    expect(document.querySelector('#sign-in')).not.toBeNull();
    expect(document.querySelector('#sign-in-notice')).toBeNull();
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(signOutCalls()).toBe(1);
  });
});

describe("the session's absolute end", () => {
  const signedOut = { ...signedIn, signed_in: false, agent: null };
  const signOutCalls = () => core.log.filter((c) => c[0] === 'sign_out').length;

  it('warns in the last minute whatever the agent does, then signs out and says why', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const endsAt = new Date(Date.now() + 10 * 60_000).toISOString();
    backend({
      // No idle lock: only the session's end signs out here.
      session_status: () => ({ ...signedIn, idle_lock_secs: 0, ends_at: endsAt }),
      sign_out: () => signedOut,
    });
    render(App);
    await vi.advanceTimersByTimeAsync(0);
    expect(el('#agent-name').textContent).toBe('Ana Agent');
    await vi.advanceTimersByTimeAsync(8 * 60_000);
    // Activity moves nothing: the end is the service's cap, not an idle time.
    await fireEvent.keyDown(window, { key: 'a' });
    await vi.advanceTimersByTimeAsync(60_000 - 1);
    expect(document.querySelector('#session-end-warning')).toBeNull();
    await vi.advanceTimersByTimeAsync(1);
    const warning = el('#session-end-warning');
    expect(warning.getAttribute('role')).toBe('alert');
    expect(warning.textContent!.trim()).toBe(
      'Your session reaches its time limit in 1:00 — finish this step; you will sign in again after',
    );
    await fireEvent.mouseMove(document.body);
    expect(document.querySelector('#session-end-warning')).not.toBeNull();
    await vi.advanceTimersByTimeAsync(59_999);
    expect(signOutCalls()).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    await vi.advanceTimersByTimeAsync(0);
    expect(signOutCalls()).toBe(1);
    expect(el('#sign-in-notice').textContent).toBe(
      'Your session reached its time limit. Sign in again to go on.',
    );
  });
});
