// The security-details queue: list, filters, claim next, the request view, decisions, leases.
import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, waitFor } from '@testing-library/svelte';
import { fail, mockCore, type FakeCore, type Handlers } from '../../test/core';
import { all, el, key } from '../../test/dom';
import type { Agent, QueueItem, RequestDetail, StateCount } from '../../lib/contract';
import QueueScreen from './QueueScreen.svelte';

const AGENT: Agent = { id: 3, email: 'ana@desk.test', name: 'Ana Agent', role: 'agent' };
const LEAD: Agent = { id: 9, email: 'lee@desk.test', name: 'Lee Lead', role: 'lead' };

const inMinutes = (m: number) => new Date(Date.now() + m * 60_000).toISOString();

function item(id: number, extra: Partial<QueueItem> = {}): QueueItem {
  return {
    id,
    reference: `SD-${id}`,
    state: 'open',
    risk: 'medium',
    change: 'email',
    account_id: 100 + id,
    username: `user${id}`,
    submitted_at: inMinutes(-600),
    sla_due_at: inMinutes(3 * 60 + 12.5),
    assignee: null,
    assignee_id: null,
    ...extra,
  };
}

function request(
  id: number,
  extra: Partial<RequestDetail> = {},
  itemExtra: Partial<QueueItem> = {},
): RequestDetail {
  return {
    item: item(id, itemExtra),
    risk_reasons: ['New address added 2 days ago', 'Sign-in from a new country'],
    new_value: 'n***@new.example',
    statement: 'I lost access to my old mailbox.',
    contact: 'n***@new.example',
    contact_on_file: false,
    facts: [
      { fact: 'display_name', submitted: 'Maria Lopez', on_file: 'María López', matches: true },
      { fact: 'country', submitted: 'FR', on_file: 'ES', matches: false },
    ],
    on_file: {
      username: `user${id}`,
      display_name: 'María López',
      status: 'active',
      country: 'ES',
      created_at: '2020-01-01T00:00:00Z',
      emails: [{ id: 1, masked: 'm***@old.example', primary: true, verified: true, bounced: false }],
      phone: '+34 *** ** 12',
      two_factor: [{ kind: 'sms', last_used_at: null }],
      security_question_set: true,
    },
    recent_activity: [],
    duplicates: [],
    earlier_requests: [],
    evidence: [
      { id: 71, name: 'id-card.png', content_type: 'image/png', size: 2048 },
      { id: 72, name: 'bill.pdf', content_type: 'application/pdf', size: 150_000 },
    ],
    notes: [],
    steps: [],
    checklist: ['facts_match_account', 'evidence_reviewed', 'new_value_not_on_another_account'],
    lease_expires_at: null,
    first_approver: null,
    apply_at: null,
    needs_second_approval: false,
    ...extra,
  };
}

/** The request as held by `agent`. */
const heldBy = (agent: Agent, id = 1, extra: Partial<RequestDetail> = {}) =>
  request(
    id,
    { lease_expires_at: inMinutes(5), ...extra },
    { state: 'claimed', assignee: agent.name, assignee_id: agent.id },
  );

const COUNTS: StateCount[] = [
  { state: 'claimed', count: 2 },
  { state: 'open', count: 14 },
  { state: 'awaiting_second_approval', count: 1 },
];

let core: FakeCore;

function backend(handlers: Handlers = {}) {
  core = mockCore({
    queue_counts: () => COUNTS,
    queue_list: () => ({
      items: [
        item(1),
        item(2, {
          risk: 'high',
          username: null,
          account_id: null,
          sla_due_at: inMinutes(-20.5),
          change: 'remove_two_factor',
        }),
        item(3, { state: 'claimed', risk: 'low', assignee: 'Bo', assignee_id: 4 }),
      ],
      next_cursor: null,
    }),
    request_detail: (a) => request(a.id as number),
    request_release: () => null,
    ...handlers,
  });
}

const rows = () => all('[data-testid="queue-item"]');
const calls = (cmd: string) => core.calls(cmd);

async function setup(agent: Agent = AGENT, handlers: Handlers = {}, props: Record<string, unknown> = {}) {
  backend(handlers);
  const view = render(QueueScreen, { agent, serverUrl: 'http://127.0.0.1:8787', ...props });
  await waitFor(() => expect(rows()).toHaveLength(3));
  return view;
}

async function openFirst() {
  await fireEvent.click(rows()[0]);
  await waitFor(() => expect(document.querySelector('#request-title')?.textContent).toBe('SD-1'));
}

describe('queue list', () => {
  it('shows the counts and the requests with risk, SLA, account and assignee', async () => {
    await setup();
    expect(calls('queue_list')[0]).toEqual({ filter: {}, cursor: null });
    const counts = Array.from(
      document.querySelectorAll<HTMLElement>('#queue-counts [data-testid="state-count"]'),
    );
    expect(counts.map((c) => c.dataset.state)).toEqual(['open', 'claimed', 'awaiting_second_approval']);
    expect(el('[data-testid="state-count"][data-state="open"]').textContent).toContain('14');

    const [first, second, third] = rows();
    expect(first.dataset.id).toBe('1');
    expect(first.dataset.state).toBe('open');
    expect(first.textContent).toContain('SD-1');
    expect(first.textContent).toContain('Change email address');
    expect(first.textContent).toContain('Medium risk');
    expect(first.textContent).toContain('user1');
    expect(first.textContent).toMatch(/due in 3h 12m/);
    expect(first.textContent).toContain('Unassigned');
    expect(second.textContent).toContain('High risk');
    expect(second.textContent).toContain('no account matched');
    expect(second.textContent).toContain('Remove two-step verification');
    expect(second.querySelector('[data-testid="sla"]')!.textContent).toMatch(/overdue 20m/);
    expect(second.querySelector<HTMLElement>('[data-testid="sla"]')!.dataset.overdue).toBe('true');
    expect(third.textContent).toContain('Bo');
  });

  it('quick filters and the risk select query the service and show as pressed', async () => {
    await setup();
    expect(el('#queue-filter-mine').getAttribute('aria-pressed')).toBe('false');
    await fireEvent.click(el('#queue-filter-mine'));
    await waitFor(() => expect(calls('queue_list')).toHaveLength(2));
    expect(calls('queue_list')[1]).toEqual({ filter: { assignee: 'me' }, cursor: null });
    expect(el('#queue-filter-mine').getAttribute('aria-pressed')).toBe('true');

    await fireEvent.click(el('#queue-filter-unassigned'));
    await waitFor(() => expect(calls('queue_list')).toHaveLength(3));
    expect(calls('queue_list')[2]).toEqual({ filter: { assignee: 'none' }, cursor: null });
    expect(el('#queue-filter-mine').getAttribute('aria-pressed')).toBe('false');

    await fireEvent.click(el('#queue-filter-second-approval'));
    await fireEvent.change(el('#queue-filter-risk'), { target: { value: 'high' } });
    await waitFor(() => expect(calls('queue_list')).toHaveLength(5));
    expect(calls('queue_list')[4]).toEqual({
      filter: { state: 'awaiting_second_approval', risk: 'high' },
      cursor: null,
    });

    await fireEvent.click(el('#queue-filter-escalated'));
    await waitFor(() => expect(calls('queue_list')).toHaveLength(6));
    expect(calls('queue_list')[5]).toEqual({ filter: { state: 'escalated', risk: 'high' }, cursor: null });
    expect(el('#queue-filter-escalated').getAttribute('aria-pressed')).toBe('true');
  });

  it('a state count is a filter: pressed it lists that state, pressed again every state', async () => {
    await setup();
    const chip = () => el('#queue-state-claimed');
    expect(chip().tagName).toBe('BUTTON');
    expect(chip().getAttribute('aria-pressed')).toBe('false');
    await fireEvent.click(chip());
    await waitFor(() => expect(calls('queue_list')).toHaveLength(2));
    expect(calls('queue_list')[1]).toEqual({ filter: { state: 'claimed' }, cursor: null });
    expect(chip().getAttribute('aria-pressed')).toBe('true');
    // It combines with "Mine" and a risk…
    await fireEvent.click(el('#queue-filter-mine'));
    await fireEvent.change(el('#queue-filter-risk'), { target: { value: 'high' } });
    await waitFor(() => expect(calls('queue_list')).toHaveLength(4));
    expect(calls('queue_list')[3]).toEqual({
      filter: { assignee: 'me', state: 'claimed', risk: 'high' },
      cursor: null,
    });
    // …and gives way to a quick filter that is a state of its own, and the other way round.
    await fireEvent.click(el('#queue-filter-escalated'));
    await waitFor(() => expect(calls('queue_list')).toHaveLength(5));
    expect(calls('queue_list')[4]).toEqual({ filter: { state: 'escalated', risk: 'high' }, cursor: null });
    expect(chip().getAttribute('aria-pressed')).toBe('false');
    await fireEvent.click(el('#queue-state-open'));
    await waitFor(() => expect(calls('queue_list')).toHaveLength(6));
    expect(calls('queue_list')[5]).toEqual({ filter: { state: 'open', risk: 'high' }, cursor: null });
    expect(el('#queue-filter-all').getAttribute('aria-pressed')).toBe('true');
    await fireEvent.click(el('#queue-state-open'));
    await waitFor(() => expect(calls('queue_list')).toHaveLength(7));
    expect(calls('queue_list')[6]).toEqual({ filter: { risk: 'high' }, cursor: null });
    expect(el('#queue-list').dataset.filter).toBe('all:high');
  });

  it("I copies the open request's reference for the ticket", async () => {
    const writeText = vi.fn().mockResolvedValue(undefined);
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    await setup();
    await openFirst();
    await fireEvent.keyDown(document.body, { key: 'i' });
    await waitFor(() => expect(writeText).toHaveBeenCalledWith('SD-1'));
    expect(el('#copy-status').textContent).toBe('Copied the request reference: SD-1');
  });

  it('loads more with the next cursor', async () => {
    await setup(AGENT, {
      queue_list: (a) =>
        a.cursor === null
          ? { items: [item(1), item(2), item(3)], next_cursor: 'p2' }
          : { items: [item(4)], next_cursor: null },
    });
    await fireEvent.click(el('#queue-load-more'));
    await waitFor(() => expect(rows()).toHaveLength(4));
    expect(calls('queue_list')[1]).toEqual({ filter: {}, cursor: 'p2' });
    expect(document.querySelector('#queue-load-more')).toBeNull();
  });

  it('refreshes the counts and the list on an interval', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    await setup(AGENT, {}, { pollMs: 40 });
    await vi.advanceTimersByTimeAsync(39);
    expect(calls('queue_list')).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1 + 80);
    expect(calls('queue_list')).toHaveLength(4);
    expect(calls('queue_counts')).toHaveLength(4);
  });

  it('does not poll while another view is shown', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    await setup(AGENT, {}, { pollMs: 40, active: false });
    await vi.advanceTimersByTimeAsync(400);
    expect(calls('queue_list')).toHaveLength(1);
    expect(calls('queue_counts')).toHaveLength(1);
  });

  it('arrow keys move the selection and Enter opens the request; Esc goes back', async () => {
    await setup();
    const list = el('#queue-list');
    list.focus();
    expect(rows()[0].getAttribute('aria-selected')).toBe('true');
    await key(list, 'ArrowDown');
    await key(list, 'ArrowDown');
    await key(list, 'ArrowUp');
    expect(rows()[1].getAttribute('aria-selected')).toBe('true');
    await key(list, 'Enter');
    await waitFor(() => expect(document.querySelector('#request-view')).not.toBeNull());
    expect(calls('request_detail')).toEqual([{ id: 2 }]);
    expect(document.querySelector('#queue-list')).toBeNull();

    await key(document.body, 'Escape');
    await waitFor(() => expect(document.querySelector('#queue-list')).not.toBeNull());
    expect(document.querySelector('#request-view')).toBeNull();
    // It was never held: nothing to release.
    expect(calls('request_release')).toHaveLength(0);
    expect(rows()[1].getAttribute('aria-selected')).toBe('true');
  });
});

describe('claim next', () => {
  it('n claims the next request and opens it (not while typing)', async () => {
    await setup(AGENT, { queue_claim_next: () => heldBy(AGENT, 2) });
    const risk = el('#queue-filter-risk');
    risk.focus();
    await key(risk, 'n');
    expect(calls('queue_claim_next')).toHaveLength(0);

    await key(document.body, 'n');
    await waitFor(() => expect(el('#request-title').textContent).toBe('SD-2'));
    expect(calls('queue_claim_next')).toHaveLength(1);
    // The claim's answer is shown as is: no second fetch.
    expect(calls('request_detail')).toHaveLength(0);
    expect(el('#request-assignee').textContent).toContain('You hold this request');
  });

  it('the button does the same; an empty queue says so', async () => {
    await setup(AGENT, { queue_claim_next: () => fail('queue_empty') });
    await fireEvent.click(el('#queue-claim-next'));
    await waitFor(() => expect(document.querySelector('#queue-claim-error')).not.toBeNull());
    expect(el('#queue-claim-error').dataset.code).toBe('queue_empty');
    expect(el('#queue-claim-error').textContent).toBe('Nothing to claim — the queue is empty.');
    expect(document.querySelector('#request-view')).toBeNull();
  });
});

describe('request view', () => {
  it('compares submitted and on-file facts, marking the differences', async () => {
    await setup();
    await openFirst();
    expect(el('#request-submitted').textContent).toContain('I lost access to my old mailbox.');
    expect(el('#request-submitted').textContent).toContain('n***@new.example');
    expect(el('#request-contact-on-file').textContent).toBe('not on file');
    expect(el('#request-contact-on-file').dataset.onFile).toBe('false');
    expect(el('#request-on-file').textContent).toContain('m***@old.example');
    expect(el('#request-on-file').textContent).toContain('SMS');
    const facts = Array.from(document.querySelectorAll<HTMLElement>('#request-facts [data-testid="fact"]'));
    expect(facts.map((f) => f.dataset.matches)).toEqual(['true', 'false']);
    const mismatch = el('[data-testid="fact"][data-matches="false"]');
    expect(mismatch.classList.contains('mismatch')).toBe(true);
    // Not colour alone: the row says it differs.
    expect(mismatch.textContent).toContain('Differs');
    expect(mismatch.textContent).toContain('FR');
    expect(el('[data-testid="fact"][data-matches="true"]').textContent).toContain('Matches');
    expect(Array.from(document.querySelectorAll('#risk-reasons li')).map((l) => l.textContent)).toEqual([
      'New address added 2 days ago',
      'Sign-in from a new country',
    ]);
  });

  it('decision buttons are disabled unless the agent holds the request; Claim enables them', async () => {
    await setup(AGENT, { request_claim: (a) => heldBy(AGENT, a.id as number) });
    await openFirst();
    for (const id of ['#decide-approve', '#decide-reject', '#decide-need-info', '#decide-escalate']) {
      expect(el<HTMLButtonElement>(id).disabled).toBe(true);
    }
    expect(document.querySelector('#request-release')).toBeNull();
    await fireEvent.click(el('#request-claim'));
    await waitFor(() => expect(el<HTMLButtonElement>('#decide-approve').disabled).toBe(false));
    expect(calls('request_claim')).toEqual([{ id: 1 }]);
    expect(document.querySelector('#request-claim')).toBeNull();
    expect(document.querySelector('#request-release')).not.toBeNull();
  });

  it('a request claimed by another agent cannot be decided', async () => {
    await setup(AGENT, {
      request_detail: (a) =>
        request(a.id as number, {}, { state: 'claimed', assignee: 'Bo', assignee_id: 4 }),
    });
    await openFirst();
    expect(el<HTMLButtonElement>('#decide-approve').disabled).toBe(true);
    expect(document.querySelector('#request-claim')).toBeNull();
    expect(el('#decision-disabled').textContent).toContain('Bo is working on this request');
  });

  it('an escalated request is decided by leads only', async () => {
    const steps = [
      {
        at: '2024-05-01T10:00:00Z',
        actor: 'Bo',
        action: 'escalate',
        from: 'claimed',
        to: 'escalated',
        note: 'odd',
      },
      {
        at: '2024-05-01T11:00:00Z',
        actor: 'x',
        action: 'claim',
        from: 'escalated',
        to: 'claimed',
        note: null,
      },
    ] as RequestDetail['steps'];
    await setup(AGENT, { request_detail: () => heldBy(AGENT, 1, { steps }) });
    await openFirst();
    expect(el<HTMLButtonElement>('#decide-approve').disabled).toBe(true);
    expect(el('#decision-disabled').textContent).toMatch(/only a team lead/);
  });

  it('the decision carries the ticked checklist and the note; approve asks to confirm', async () => {
    await setup(AGENT, {
      request_detail: () => heldBy(AGENT, 1),
      request_decide: () =>
        request(
          1,
          { apply_at: '2024-05-03T12:00:00Z' },
          { state: 'approved', assignee: null, assignee_id: null },
        ),
    });
    await openFirst();
    const boxes = Array.from(document.querySelectorAll<HTMLElement>('[data-testid="checklist-item"]'));
    expect(boxes.map((b) => b.dataset.item)).toEqual([
      'facts_match_account',
      'evidence_reviewed',
      'new_value_not_on_another_account',
    ]);
    expect(boxes[0].textContent).toContain('The facts the user gave match what is on file');
    for (const b of boxes) await fireEvent.click(b.querySelector('input')!);
    await fireEvent.input(el('#decision-note'), { target: { value: '  Matches the passport.  ' } });

    await fireEvent.click(el('#decide-approve'));
    expect(calls('request_decide')).toHaveLength(0);
    expect(document.activeElement).toBe(el('#decide-confirm'));
    await fireEvent.click(el('#decide-confirm'));
    await waitFor(() => expect(calls('request_decide')).toHaveLength(1));
    expect(calls('request_decide')[0]).toEqual({
      id: 1,
      decision: {
        decision: 'approve',
        checklist: ['facts_match_account', 'evidence_reviewed', 'new_value_not_on_another_account'],
        note: 'Matches the passport.',
      },
      idempotencyKey: expect.any(String),
    });
    await waitFor(() => expect(document.querySelector('#decision-result')).not.toBeNull());
    expect(el('#decision-result').dataset.state).toBe('approved');
    expect(el('#decision-result').textContent).toMatch(/applies at .+ unless cancelled/);
    expect(el('#request-state').dataset.state).toBe('approved');
    expect(el<HTMLButtonElement>('#decide-approve').disabled).toBe(true);
  });

  it('Esc cancels the confirmation without deciding', async () => {
    await setup(AGENT, { request_detail: () => heldBy(AGENT, 1) });
    await openFirst();
    await fireEvent.input(el('#decision-note'), { target: { value: 'No.' } });
    await fireEvent.click(el('#decide-reject'));
    await key(el('#decide-confirm'), 'Escape');
    expect(document.querySelector('#decision-confirm')).toBeNull();
    expect(document.querySelector('#request-view')).not.toBeNull();
    expect(document.activeElement).toBe(el('#decide-reject'));
    expect(calls('request_decide')).toHaveLength(0);
  });

  it("a missing checklist item shows the service's checklist_incomplete message", async () => {
    await setup(AGENT, {
      request_detail: () => heldBy(AGENT, 1),
      request_decide: () => fail('checklist_incomplete'),
    });
    await openFirst();
    await fireEvent.click(el('[data-testid="checklist-item"][data-item="facts_match_account"] input'));
    await fireEvent.input(el('#decision-note'), { target: { value: 'Need the bill.' } });
    await fireEvent.input(el('#decision-message'), { target: { value: 'Please send a recent bill.' } });
    await fireEvent.click(el('#decide-need-info'));
    await waitFor(() => expect(document.querySelector('#decision-error')).not.toBeNull());
    expect(calls('request_decide')[0]).toEqual({
      id: 1,
      decision: {
        decision: 'need_info',
        checklist: ['facts_match_account'],
        note: 'Need the bill.',
        message: 'Please send a recent bill.',
      },
      idempotencyKey: expect.any(String),
    });
    expect(el('#decision-error').dataset.code).toBe('checklist_incomplete');
    expect(el('#decision-error').textContent).toBe(
      'Tick every item of the verification checklist before deciding.',
    );
  });

  it('a decision whose answer was lost says so, and sending it again reuses its Idempotency-Key', async () => {
    let attempts = 0;
    await setup(AGENT, {
      request_detail: () => heldBy(AGENT, 1),
      request_decide: () =>
        ++attempts === 1
          ? fail('connection_lost')
          : request(1, {}, { state: 'escalated', assignee: null, assignee_id: null }),
    });
    await openFirst();
    await fireEvent.input(el('#decision-note'), { target: { value: 'Unsure about the bill.' } });
    await fireEvent.click(el('#decide-escalate'));
    await waitFor(() => expect(document.querySelector('#decision-error')).not.toBeNull());
    expect(el('#decision-error').dataset.code).toBe('connection_lost');
    expect(el('#decision-error').textContent).toMatch(
      /^Could not reach the service.*retried.*Nothing was done twice/,
    );
    await fireEvent.click(el('#decide-escalate'));
    await waitFor(() => expect(document.querySelector('#decision-result')).not.toBeNull());
    const [first, second] = calls('request_decide') as { idempotencyKey: string }[];
    expect(second.idempotencyKey).toBe(first.idempotencyKey);
    expect(el('#decision-result').dataset.state).toBe('escalated');
  });

  it('asking for more information needs a message to the user, sent apart from the internal note', async () => {
    await setup(AGENT, {
      request_detail: () => heldBy(AGENT, 1),
      request_decide: () => request(1, {}, { state: 'needs_info', assignee: null, assignee_id: null }),
    });
    await openFirst();
    await fireEvent.input(el('#decision-note'), { target: { value: 'Looks like a takeover attempt.' } });
    await fireEvent.click(el('#decide-need-info'));
    expect(el('#decision-error').textContent).toMatch(/question for the user/);
    expect(el('#decision-message').getAttribute('aria-invalid')).toBe('true');
    expect(document.activeElement).toBe(el('#decision-message'));
    expect(calls('request_decide')).toHaveLength(0);

    await fireEvent.input(el('#decision-message'), { target: { value: 'Which phone did you use before?' } });
    await fireEvent.click(el('#decide-need-info'));
    await waitFor(() => expect(calls('request_decide')).toHaveLength(1));
    const sent = calls('request_decide')[0] as { decision: { note: string; message: string } };
    expect(sent.decision.note).toBe('Looks like a takeover attempt.');
    expect(sent.decision.message).toBe('Which phone did you use before?');
  });

  it('an empty note is refused before calling the service', async () => {
    await setup(AGENT, { request_detail: () => heldBy(AGENT, 1) });
    await openFirst();
    await fireEvent.click(el('#decide-escalate'));
    expect(el('#decision-error').textContent).toMatch(/note/);
    expect(el('#decision-note').getAttribute('aria-invalid')).toBe('true');
    expect(calls('request_decide')).toHaveLength(0);
  });

  it('shows a png inline, and a PDF as the pages the console drew, never the PDF itself', async () => {
    await setup(AGENT, {
      request_evidence: (a) =>
        a.fileId === 71
          ? {
              name: 'id-card.png',
              content_type: 'image/png',
              data_base64: 'iVBORw0KGgo=',
              pages: [],
              page_count: 0,
              render_error: null,
            }
          : {
              name: 'bill.pdf',
              content_type: 'application/pdf',
              data_base64: '',
              pages: ['UEFHRTE=', 'UEFHRTI='],
              page_count: 14,
              render_error: null,
            },
    });
    await openFirst();
    await fireEvent.click(el('[data-testid="evidence-file"][data-id="71"]'));
    await waitFor(() => expect(document.querySelector('#evidence-image')).not.toBeNull());
    expect(calls('request_evidence')).toEqual([{ id: 1, fileId: 71 }]);
    const img = el<HTMLImageElement>('#evidence-image');
    expect(img.getAttribute('src')).toBe('data:image/png;base64,iVBORw0KGgo=');
    expect(img.alt).toContain('id-card.png');

    await fireEvent.click(el('[data-testid="evidence-file"][data-id="72"]'));
    await waitFor(() => expect(document.querySelectorAll('[data-testid="evidence-page"]')).toHaveLength(2));
    const pages = Array.from(document.querySelectorAll<HTMLImageElement>('[data-testid="evidence-page"]'));
    expect(pages.map((p) => p.getAttribute('src'))).toEqual([
      'data:image/png;base64,UEFHRTE=',
      'data:image/png;base64,UEFHRTI=',
    ]);
    expect(pages[0].alt).toBe('Page 1 of 14 of bill.pdf, sent by the user');
    expect(el('[data-testid="evidence-more-pages"]').textContent).toContain('The first 2 of 14 pages');
    expect(document.querySelector('#evidence iframe, #evidence embed, #evidence object')).toBeNull();
  });

  it('says why a PDF could not be drawn', async () => {
    await setup(AGENT, {
      request_evidence: () => ({
        name: 'bill.pdf',
        content_type: 'application/pdf',
        data_base64: '',
        pages: [],
        page_count: 0,
        render_error: 'not a PDF that can be shown',
      }),
    });
    await openFirst();
    await fireEvent.click(el('[data-testid="evidence-file"][data-id="72"]'));
    await waitFor(() =>
      expect(el('[data-testid="evidence-no-preview"]').textContent).toContain(
        'bill.pdf could not be shown: not a PDF that can be shown.',
      ),
    );
  });

  it('adds a note', async () => {
    await setup(AGENT, {
      request_note: (a) =>
        request(1, { notes: [{ author: 'Ana Agent', at: '2024-05-01T10:00:00Z', text: a.text as string }] }),
    });
    await openFirst();
    await fireEvent.input(el('#note-text'), { target: { value: 'Called the user.' } });
    await fireEvent.click(el('#note-add'));
    await waitFor(() => expect(el('#request-notes').textContent).toContain('Called the user.'));
    expect(calls('request_note')).toEqual([{ id: 1, text: 'Called the user.' }]);
    expect(el<HTMLInputElement>('#note-text').value).toBe('');
  });
});

describe('leads', () => {
  const awaiting = () =>
    request(
      1,
      { first_approver: 'Ana Agent', needs_second_approval: true },
      { state: 'awaiting_second_approval' },
    );

  it('agents see neither the second approval nor the reassign', async () => {
    await setup(AGENT, { request_detail: awaiting });
    await openFirst();
    expect(document.querySelector('#second-approve')).toBeNull();
    expect(document.querySelector('#reassign')).toBeNull();
  });

  it('leads give the second approval; the same approver is refused with a clear message', async () => {
    let attempts = 0;
    await setup(LEAD, {
      request_detail: awaiting,
      request_second_approval: () => {
        attempts++;
        if (attempts === 1) fail('same_approver');
        return request(1, { apply_at: '2024-05-03T12:00:00Z' }, { state: 'approved' });
      },
    });
    await openFirst();
    await fireEvent.input(el('#second-approve-note'), { target: { value: 'Checked twice.' } });
    await fireEvent.click(el('#second-approve'));
    await waitFor(() => expect(document.querySelector('#lead-error')).not.toBeNull());
    expect(el('#lead-error').dataset.code).toBe('same_approver');
    expect(el('#lead-error').textContent).toBe('A second approval must come from another lead.');
    await fireEvent.click(el('#second-approve'));
    await waitFor(() => expect(el('#request-state').dataset.state).toBe('approved'));
    // The same approval sent again is the same action: it keeps its Idempotency-Key.
    const sent = calls('request_second_approval') as { id: number; note: string; idempotencyKey: string }[];
    expect(sent).toEqual([
      { id: 1, note: 'Checked twice.', idempotencyKey: expect.any(String) },
      { id: 1, note: 'Checked twice.', idempotencyKey: sent[0].idempotencyKey },
    ]);
    expect(el('#decision-result').textContent).toMatch(/unless cancelled/);
  });

  it('leads reassign to an agent picked by name, who shows their load', async () => {
    await setup(LEAD, {
      list_agents: () => [
        { id: 4, name: 'Bo Agent', email: 'bo@demo.test', role: 'agent', claimed: 2 },
        { id: 7, name: 'Cy Lead', email: 'cy@demo.test', role: 'lead', claimed: 0 },
      ],
      request_reassign: (a) =>
        request(1, {}, { state: 'claimed', assignee: 'Bo Agent', assignee_id: a.agentId as number }),
    });
    await openFirst();
    await waitFor(() => expect(el<HTMLSelectElement>('#reassign-agent').disabled).toBe(false));
    const labels = [...el<HTMLSelectElement>('#reassign-agent').options].map((o) => o.textContent);
    expect(labels).toEqual(['Choose an agent', 'Bo Agent (agent) — 2 claimed', 'Cy Lead (lead) — 0 claimed']);
    // Nobody chosen: said so, nothing sent.
    await fireEvent.click(el('#reassign'));
    expect(el('#lead-error').textContent).toBe('Choose the agent to hand the request to.');
    expect(calls('request_reassign')).toEqual([]);
    await fireEvent.change(el('#reassign-agent'), { target: { value: '4' } });
    await fireEvent.click(el('#reassign'));
    await waitFor(() => expect(el('#request-assignee').textContent).toContain('Bo Agent'));
    expect(calls('request_reassign')).toEqual([{ id: 1, agentId: 4 }]);
  });
});

describe('lease', () => {
  it('Back releases a held request', async () => {
    await setup(AGENT, { request_detail: () => heldBy(AGENT, 1) });
    await openFirst();
    await fireEvent.click(el('#request-back'));
    await waitFor(() => expect(document.querySelector('#queue-list')).not.toBeNull());
    expect(calls('request_release')).toEqual([{ id: 1 }]);
  });

  it('checklist ticks survive going back to the queue and opening the request again', async () => {
    await setup(AGENT, { request_detail: () => heldBy(AGENT, 1) });
    await openFirst();
    const box = () =>
      el<HTMLInputElement>('[data-testid="checklist-item"][data-item="facts_match_account"] input');
    await fireEvent.click(box());
    expect(box().checked).toBe(true);
    await fireEvent.click(el('#request-back'));
    await waitFor(() => expect(document.querySelector('#queue-list')).not.toBeNull());
    await openFirst();
    expect(box().checked).toBe(true);
    // (Untick: the ticks live as long as the console runs, and other tests open request 1 too.)
    await fireEvent.click(box());
    expect(box().checked).toBe(false);
  });

  it('unmounting releases a held request, but never after a decision', async () => {
    const held = await setup(AGENT, { request_detail: () => heldBy(AGENT, 1) });
    await openFirst();
    // The release is sent as the view goes, not later: what is not sent by then never is.
    held.unmount();
    expect(calls('request_release')).toEqual([{ id: 1 }]);

    const decided = await setup(AGENT, {
      request_detail: () => heldBy(AGENT, 1),
      request_decide: () => request(1, {}, { state: 'needs_info' }),
    });
    await openFirst();
    await fireEvent.input(el('#decision-note'), { target: { value: 'Send the bill.' } });
    await fireEvent.input(el('#decision-message'), { target: { value: 'Please send a recent bill.' } });
    await fireEvent.click(el('#decide-need-info'));
    await waitFor(() => expect(el('#request-state').dataset.state).toBe('needs_info'));
    decided.unmount();
    expect(calls('request_release')).toHaveLength(0);
  });

  it('switching to another view releases the held request', async () => {
    const view = await setup(AGENT, {
      request_detail: (() => {
        let n = 0;
        return () => (n++ === 0 ? heldBy(AGENT, 1) : request(1));
      })(),
    });
    await openFirst();
    await view.rerender({ active: false });
    await waitFor(() => expect(calls('request_release')).toEqual([{ id: 1 }]));
    // It is then shown as it is: open, with the Claim button.
    await waitFor(() => expect(el('#request-state').dataset.state).toBe('open'));
  });

  it('renews the lease every minute while held', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    await setup(AGENT, {
      request_detail: () => heldBy(AGENT, 1),
      request_renew: (a) => heldBy(AGENT, a.id as number),
    });
    await openFirst();
    await vi.advanceTimersByTimeAsync(59_000);
    expect(calls('request_renew')).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1_500);
    expect(calls('request_renew')).toEqual([{ id: 1 }]);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls('request_renew')).toHaveLength(2);
  });

  it('a lost lease says so', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    await setup(AGENT, {
      request_detail: () => heldBy(AGENT, 1),
      request_renew: () => fail('lease_expired'),
    });
    await openFirst();
    await vi.advanceTimersByTimeAsync(60_500);
    await waitFor(() => expect(document.querySelector('#request-error')).not.toBeNull());
    expect(el('#request-error').dataset.code).toBe('lease_expired');
    expect(el('#request-error').textContent).toContain('Your hold on this request ran out; claim it again.');
  });
});
