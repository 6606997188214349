import { describe, expect, it } from 'vitest';
import { fireEvent, render, waitFor } from '@testing-library/svelte';
import { deferred, fail, mockCore, type FakeCore, type Handlers } from '../../test/core';
import { el } from '../../test/dom';
import type { AuditEntry, Figures, Progress } from '../../lib/contract';
import AuditScreen from './AuditScreen.svelte';

const rows = () => Array.from(document.querySelectorAll<HTMLElement>('[data-testid="audit-row"]'));
const queries = () => core.calls('audit_query');

function entry(id: number, extra: Partial<AuditEntry> = {}): AuditEntry {
  return {
    id,
    at: new Date(Date.UTC(2024, 4, 1, 12, 0, 0) - id * 60_000).toISOString(),
    actor_id: 3,
    actor_email: 'alex@demo.test',
    actor_role: 'agent',
    action: 'password_reset',
    target_type: 'account',
    target_id: String(1000 + id),
    reason: 'forgot_password',
    ticket: `SUP-${id}`,
    outcome: 'success',
    client: '127.0.0.1 RecoveryDesk/0.1',
    detail: `{"email_id":${id}}`,
    prev_hash: `prev-${id}`,
    hash: `hash-${id}`,
    ...extra,
  };
}

/** Entries with ids from `top` down to `top - n + 1` (newest first). */
const page = (top: number, n: number) => Array.from({ length: n }, (_, i) => entry(top - i));

const figures: Figures = {
  from: '2024-04-24T12:00:00Z',
  to: '2024-05-01T12:00:00Z',
  agents: [
    {
      agent_id: 3,
      email: 'alex@demo.test',
      name: 'Alex Agent',
      role: 'agent',
      actions: 15,
      by_action: [
        { action: 'password_reset', count: 12 },
        { action: 'sign_in', count: 3 },
      ],
      resets_sent: 12,
      queue_decisions: 4,
      median_handling_secs: 600,
      second_approvals: 1,
      by_hour: Array.from({ length: 24 }, (_, h) => (h === 14 ? 12 : h === 9 ? 3 : 0)),
    },
    {
      agent_id: 4,
      email: 'bo@demo.test',
      name: 'Bo Idle',
      role: 'agent',
      actions: 0,
      by_action: [],
      resets_sent: 0,
      queue_decisions: 0,
      median_handling_secs: null,
      second_approvals: 0,
      by_hour: new Array(24).fill(0),
    },
  ],
  anomalies: [
    {
      kind: 'high_rate',
      agent_id: 3,
      agent_email: 'alex@demo.test',
      summary: '40 resets in 10 minutes',
      entry_ids: [498, 496],
    },
  ],
};

let core: FakeCore;

function backend(handlers: Handlers) {
  core = mockCore({
    audit_query: () => ({ items: page(500, 100), next_cursor: null }),
    audit_figures: () => figures,
    ...handlers,
  });
}

type ProgressChannel = { onmessage: (p: Progress) => void };

async function setup(handlers: Handlers = {}) {
  backend(handlers);
  render(AuditScreen, { serverUrl: 'http://127.0.0.1:8787' });
  await waitFor(() => expect(rows().length).toBeGreaterThan(0));
}

describe('AuditScreen log', () => {
  it('queries the first page unfiltered and renders only a window of the rows', async () => {
    await setup();
    expect(queries()[0]).toEqual({ filter: {}, cursor: null });
    const shown = rows();
    // 100 loaded, but only the visible ones plus overscan are in the DOM.
    expect(shown.length).toBeGreaterThan(5);
    expect(shown.length).toBeLessThan(40);
    expect(shown[0].dataset.id).toBe('500');
    expect(shown[0].getAttribute('role')).toBe('row');
    expect(shown[0].textContent).toContain('2024-05-01 03:40:00');
    expect(shown[0].textContent).toContain('alex@demo.test (Agent)');
    expect(shown[0].textContent).toContain('account #1500');
    // The reason code in words, as the filters and the account's activity say it.
    expect(shown[0].textContent).toContain('Forgot password');
    expect(shown[0].textContent).not.toContain('forgot_password');
    // The spacer is as tall as all loaded rows.
    expect(el('.audit-body').style.height).toBe(`${100 * 32}px`);
  });

  it('fetches the next page when the scroll nears the end of the loaded rows', async () => {
    await setup({
      audit_query: (a) =>
        a.cursor === null
          ? { items: page(500, 100), next_cursor: 'c2' }
          : { items: page(400, 100), next_cursor: null },
    });
    expect(queries()).toHaveLength(1);
    const scroller = el('#audit-table');
    scroller.scrollTop = 32 * 70;
    await fireEvent.scroll(scroller);
    await waitFor(() => expect(queries()).toHaveLength(2));
    expect(queries()[1]).toEqual({ filter: {}, cursor: 'c2' });
    await waitFor(() => expect(el('.audit-body').style.height).toBe(`${200 * 32}px`));
    expect(rows().some((r) => r.dataset.id === '430')).toBe(true);
    expect(rows().some((r) => r.dataset.id === '500')).toBe(false);
  });

  it('applies the filter with Enter, converting the fields', async () => {
    await setup();
    await waitFor(() => expect(el<HTMLSelectElement>('#audit-filter-agent').options).toHaveLength(3));
    await fireEvent.change(el('#audit-filter-agent'), { target: { value: '3' } });
    await fireEvent.change(el('#audit-filter-outcome'), { target: { value: 'failure' } });
    await fireEvent.input(el('#audit-filter-account'), { target: { value: '1042' } });
    await fireEvent.input(el('#audit-filter-from'), { target: { value: '2024-05-01T10:00' } });
    await fireEvent.keyDown(el('#audit-filter-account'), { key: 'Enter' });
    await waitFor(() => expect(queries()).toHaveLength(2));
    const from = new Date(2024, 4, 1, 10, 0).toISOString().replace('.000Z', 'Z');
    expect(queries()[1]).toEqual({
      filter: { agent: 3, outcome: 'failure', account: 1042, from },
      cursor: null,
    });

    await fireEvent.click(el('#audit-clear'));
    await waitFor(() => expect(queries()).toHaveLength(3));
    expect(queries()[2]).toEqual({ filter: {}, cursor: null });
    expect(el<HTMLInputElement>('#audit-filter-account').value).toBe('');
  });

  it('a bad account id shows an error and does not query', async () => {
    await setup();
    await fireEvent.input(el('#audit-filter-account'), { target: { value: '12abc' } });
    await fireEvent.click(el('#audit-apply'));
    await waitFor(() => expect(document.querySelector('#audit-filter-error')).not.toBeNull());
    expect(el('#audit-filter-error').textContent).toMatch(/account id/i);
    expect(el('#audit-filter-account').getAttribute('aria-invalid')).toBe('true');
    expect(document.activeElement).toBe(el('#audit-filter-account'));
    expect(queries()).toHaveLength(1);
  });

  it('moves with the arrows and opens the detail with Enter', async () => {
    await setup();
    const table = el('#audit-table');
    table.focus();
    await fireEvent.keyDown(table, { key: 'ArrowDown' });
    await fireEvent.keyDown(table, { key: 'ArrowDown' });
    await fireEvent.keyDown(table, { key: 'ArrowUp' });
    await fireEvent.keyDown(table, { key: 'ArrowDown' });
    const selected = rows().filter((r) => r.getAttribute('aria-selected') === 'true');
    expect(selected.map((r) => r.dataset.id)).toEqual(['499']);
    expect(table.getAttribute('aria-activedescendant')).toBe('audit-row-499');
    expect(document.querySelector('#audit-detail')).toBeNull();

    await fireEvent.keyDown(table, { key: 'Enter' });
    const detail = el('#audit-detail');
    expect(detail.textContent).toContain('Entry #499');
    expect(detail.textContent).toContain('prev-499');
    expect(detail.textContent).toContain('hash-499');
    expect(el('#audit-detail-json').textContent).toBe('{\n  "email_id": 499\n}');

    await fireEvent.click(rows().find((r) => r.dataset.id === '497')!);
    expect(el('#audit-detail').textContent).toContain('Entry #497');
    expect(
      rows()
        .find((r) => r.dataset.id === '497')!
        .getAttribute('aria-selected'),
    ).toBe('true');

    await fireEvent.keyDown(table, { key: 'Escape' });
    expect(document.querySelector('#audit-detail')).toBeNull();
  });

  it('says who may see the log when the role is not allowed', async () => {
    backend({
      audit_query: () => fail('forbidden', 'nope'),
    });
    render(AuditScreen, {});
    await waitFor(() => expect(document.querySelector('#audit-error')).not.toBeNull());
    expect(el('#audit-error').textContent).toContain('Only team leads can see the audit log.');
  });
});

describe('AuditScreen verify and export', () => {
  it('shows progress, then data-ok=false with the broken entry', async () => {
    const done = deferred<unknown>();
    let channel: ProgressChannel | null = null;
    await setup({
      audit_verify: (a) => {
        channel = a.onProgress as ProgressChannel;
        return done.promise;
      },
    });
    await fireEvent.click(el('#audit-verify'));
    await waitFor(() => expect(channel).not.toBeNull());
    channel!.onmessage({ done: 250, total: 1000, bytes: 0 });
    await waitFor(() => expect(el<HTMLProgressElement>('#verify-progress').value).toBe(250));
    expect(el<HTMLProgressElement>('#verify-progress').max).toBe(1000);
    expect(el<HTMLButtonElement>('#audit-verify').disabled).toBe(true);

    done.resolve({
      ok: false,
      entries: 1000,
      head_hash: 'h',
      broken: { id: 734, reason: 'hash does not match' },
      checkpoints_checked: 2,
    });
    await waitFor(() => expect(document.querySelector('#verify-result')).not.toBeNull());
    const result = el('#verify-result');
    expect(result.dataset.ok).toBe('false');
    expect(result.textContent!.trim()).toBe('Broken at entry #734: hash does not match');
    expect(document.querySelector('#verify-progress')).toBeNull();
  });

  it('reports an intact chain', async () => {
    await setup({
      audit_verify: () => ({ ok: true, entries: 1200, head_hash: 'h', broken: null, checkpoints_checked: 3 }),
    });
    await fireEvent.click(el('#audit-verify'));
    await waitFor(() => expect(document.querySelector('#verify-result')).not.toBeNull());
    expect(el('#verify-result').dataset.ok).toBe('true');
    expect(el('#verify-result').textContent!.trim()).toBe(
      'Chain intact: 1200 entries, 3 checkpoints checked',
    );
  });

  it('says "Export cancelled" when the save dialog was cancelled', async () => {
    await setup({ audit_export: () => ({ path: null, entries: 0, bytes: 0 }) });
    await fireEvent.click(el('#audit-export-csv'));
    await waitFor(() => expect(document.querySelector('#export-result')).not.toBeNull());
    expect(el('#export-result').textContent!.trim()).toBe('Export cancelled');
    expect(el('#export-result').hasAttribute('data-path')).toBe(false);
  });

  it('exports with the current filter and shows progress and the path', async () => {
    const done = deferred<unknown>();
    let args: Record<string, unknown> | null = null;
    await setup({
      audit_export: (a) => {
        args = a;
        return done.promise;
      },
    });
    await fireEvent.change(el('#audit-filter-action'), { target: { value: 'sign_in' } });
    await fireEvent.click(el('#audit-apply'));
    await waitFor(() => expect(queries()).toHaveLength(2));

    await fireEvent.click(el('#audit-export-ndjson'));
    await waitFor(() => expect(args).not.toBeNull());
    expect(args!.format).toBe('ndjson');
    expect(args!.filter).toEqual({ action: 'sign_in' });
    (args!.onProgress as ProgressChannel).onmessage({ done: 120, total: null, bytes: 20480 });
    await waitFor(() => expect(el('#export-status').textContent).toContain('120 entries, 20 KB'));
    expect(el<HTMLProgressElement>('#export-progress').hasAttribute('value')).toBe(false);

    done.resolve({ path: '/home/lead/audit.ndjson', entries: 120, bytes: 20480 });
    await waitFor(() => expect(document.querySelector('#export-result')).not.toBeNull());
    expect(el('#export-result').dataset.path).toBe('/home/lead/audit.ndjson');
    expect(el('#export-result').textContent!.replace(/\s+/g, ' ').trim()).toBe(
      'Exported 120 entries to /home/lead/audit.ndjson',
    );
  });
});

describe('AuditScreen agents and anomalies', () => {
  it('shows a card per agent with labelled charts', async () => {
    await setup();
    await fireEvent.click(el('#audit-tab-agents'));
    await waitFor(() => expect(document.querySelectorAll('[data-testid="agent-figures"]')).toHaveLength(2));
    const [alex, bo] = Array.from(document.querySelectorAll<HTMLElement>('[data-testid="agent-figures"]'));
    expect(alex.textContent).toContain('Alex Agent');
    expect(alex.querySelector('[data-figure="median_handling"]')!.textContent).toBe('10 min');
    const hours = alex.querySelector('svg[data-testid="hour-chart"]')!;
    expect(hours.getAttribute('role')).toBe('img');
    expect(hours.getAttribute('aria-label')).toContain('busiest 14:00 (12)');
    expect(hours.querySelectorAll('rect')).toHaveLength(2);
    expect(alex.querySelector('svg[data-testid="action-chart"]')!.getAttribute('aria-label')).toBe(
      'Actions by type: Password reset 12, Sign in 3.',
    );
    expect(bo.querySelector('[data-figure="median_handling"]')!.textContent).toBe('—');

    // A new period fetches the figures again for that range.
    const before = core.calls('audit_figures').length;
    await fireEvent.change(el('#audit-agents-period'), { target: { value: '24h' } });
    await waitFor(() => expect(core.calls('audit_figures').length).toBe(before + 1));
    const last = core.calls('audit_figures').at(-1) as {
      from: string;
      to: string;
    };
    expect(Date.parse(last.to) - Date.parse(last.from)).toBe(24 * 3_600_000);
  });

  it('"Show entries" filters the log by the agent and flags the entries', async () => {
    await setup();
    await fireEvent.click(el('#audit-tab-anomalies'));
    await waitFor(() => expect(document.querySelectorAll('[data-testid="anomaly"]')).toHaveLength(1));
    const item = el('[data-testid="anomaly"]');
    expect(item.textContent).toContain('Unusually many actions');
    expect(item.textContent).toContain('Alex Agent');
    expect(item.textContent).toContain('40 resets in 10 minutes');

    await fireEvent.click(item.querySelector('button')!);
    await waitFor(() => expect(queries()).toHaveLength(2));
    expect(queries()[1]).toEqual({ filter: { agent: 3 }, cursor: null });
    expect(el('#audit-panel-log').hidden).toBe(false);
    expect(el<HTMLSelectElement>('#audit-filter-agent').value).toBe('3');
    await waitFor(() =>
      expect(
        rows()
          .filter((r) => r.dataset.flagged === 'true')
          .map((r) => r.dataset.id),
      ).toEqual(['498', '496']),
    );
    expect(
      rows()
        .find((r) => r.dataset.id === '497')!
        .hasAttribute('data-flagged'),
    ).toBe(false);
  });
});
