import { afterEach, describe, expect, it, vi } from 'vitest';
import { mockCore } from '../test/core';
import * as api from './api';

/** A core that answers every command with `{}`. */
const anyCommand = () => mockCore({}, () => ({}));

/** A core that rejects every command with `reason`. */
const rejecting = (reason: unknown) =>
  mockCore({}, () => {
    throw reason;
  });

afterEach(() => api.setSessionLostHandler(null));

describe('api commands', () => {
  it('use the Rust command names and camelCase argument names', async () => {
    const core = anyCommand();
    const form = {
      server_url: 'http://127.0.0.1:8787',
      email: 'a@b.c',
      password: 'pw',
      totp: '123456',
      stay_signed_in: true,
    };
    await api.sessionStatus();
    await api.signIn(form);
    await api.signOut();
    await api.searchAccounts('alice', null);
    await api.getAccount(7);
    await api.sendPasswordReset(7, { reason: 'forgot_password', ticket: 'SUP-1' }, 'key-1');
    expect(core.log).toEqual([
      ['session_status', {}],
      ['sign_in', { form }],
      ['sign_out', {}],
      ['search_accounts', { q: 'alice', cursor: null }],
      ['get_account', { id: 7 }],
      [
        'send_password_reset',
        { id: 7, request: { reason: 'forgot_password', ticket: 'SUP-1' }, idempotencyKey: 'key-1' },
      ],
    ]);
  });

  it('the queue commands', async () => {
    const core = anyCommand();
    const decision = {
      decision: 'approve' as const,
      checklist: ['facts_match_account' as const],
      note: 'ok',
    };
    await api.queueCounts();
    await api.queueList({ assignee: 'me', risk: 'high' }, 'c1');
    await api.queueClaimNext();
    await api.requestDetail(4);
    await api.requestClaim(4);
    await api.requestRenew(4);
    await api.requestRelease(4);
    await api.requestNote(4, 'hi');
    await api.requestDecide(4, decision, 'key-1');
    await api.requestSecondApproval(4, 'ok too', 'key-2');
    await api.requestReassign(4, 12);
    await api.requestEvidence(4, 70);
    expect(core.log).toEqual([
      ['queue_counts', {}],
      ['queue_list', { filter: { assignee: 'me', risk: 'high' }, cursor: 'c1' }],
      ['queue_claim_next', {}],
      ['request_detail', { id: 4 }],
      ['request_claim', { id: 4 }],
      ['request_renew', { id: 4 }],
      ['request_release', { id: 4 }],
      ['request_note', { id: 4, text: 'hi' }],
      ['request_decide', { id: 4, decision, idempotencyKey: 'key-1' }],
      ['request_second_approval', { id: 4, note: 'ok too', idempotencyKey: 'key-2' }],
      ['request_reassign', { id: 4, agentId: 12 }],
      ['request_evidence', { id: 4, fileId: 70 }],
    ]);
  });

  it('the recovery commands: answer reset, address check, reveal and activity', async () => {
    const core = anyCommand();
    const request = { reason: 'other' as const, ticket: 'SUP-2', note: 'asked twice' };
    await api.sendAnswerReset(7, request, 'key-2');
    await api.checkAddress(7, 'maria@example.com');
    await api.revealAddress(7, 31, { reason: 'user cannot tell which address', ticket: 'SUP-2' });
    await api.accountActivity(7, null);
    await api.accountActivity(7, 'c9');
    expect(core.log).toEqual([
      ['send_answer_reset', { id: 7, request, idempotencyKey: 'key-2' }],
      ['check_address', { id: 7, address: 'maria@example.com' }],
      [
        'reveal_address',
        { id: 7, emailId: 31, request: { reason: 'user cannot tell which address', ticket: 'SUP-2' } },
      ],
      ['account_activity', { id: 7, cursor: null }],
      ['account_activity', { id: 7, cursor: 'c9' }],
    ]);
  });

  it('returns what the command resolved with', async () => {
    mockCore({ search_accounts: () => ({ items: [], next_cursor: null }) });
    await expect(api.searchAccounts('x', 'c1')).resolves.toEqual({ items: [], next_cursor: null });
  });
});

describe('audit commands', () => {
  type Ch = { onmessage: (p: unknown) => void };

  it('pass the filter, cursor and range as named', async () => {
    const core = anyCommand();
    await api.auditQuery({ agent: 3 }, 'c2');
    await api.auditFigures('2024-05-01T00:00:00Z', '2024-05-08T00:00:00Z');
    expect(core.log).toEqual([
      ['audit_query', { filter: { agent: 3 }, cursor: 'c2' }],
      ['audit_figures', { from: '2024-05-01T00:00:00Z', to: '2024-05-08T00:00:00Z' }],
    ]);
  });

  it('verify and export hand a progress channel to the core (onProgress)', async () => {
    const core = anyCommand();
    const verifyProgress = vi.fn();
    const exportProgress = vi.fn();
    await api.auditVerify(verifyProgress);
    await api.auditExport('csv', { outcome: 'failure' }, exportProgress);
    const [[verifyCmd, verifyArgs], [exportCmd, exportArgs]] = core.log;
    expect(verifyCmd).toBe('audit_verify');
    expect(Object.keys(verifyArgs)).toEqual(['onProgress']);
    (verifyArgs.onProgress as Ch).onmessage({ done: 1, total: 2, bytes: 0 });
    expect(verifyProgress).toHaveBeenCalledWith({ done: 1, total: 2, bytes: 0 });
    expect(exportCmd).toBe('audit_export');
    expect(exportArgs).toMatchObject({ format: 'csv', filter: { outcome: 'failure' } });
    (exportArgs.onProgress as Ch).onmessage({ done: 5, total: null, bytes: 99 });
    expect(exportProgress).toHaveBeenCalledWith({ done: 5, total: null, bytes: 99 });
    expect(verifyProgress).toHaveBeenCalledTimes(1);
  });
});

describe('session loss', () => {
  const expired = { code: 'session_expired', message: 'expired', field: null, retry_after: null };

  it('calls the handler and still rejects with the CommandError', async () => {
    const handler = vi.fn();
    api.setSessionLostHandler(handler);
    rejecting(expired);
    await expect(api.getAccount(1)).rejects.toBe(expired);
    expect(handler).toHaveBeenCalledWith(expired);
  });

  it('is not triggered by sign-in failures or other errors', async () => {
    const handler = vi.fn();
    api.setSessionLostHandler(handler);
    rejecting({ ...expired, code: 'unauthorized' });
    await expect(
      api.signIn({ server_url: '', email: '', password: '', totp: '', stay_signed_in: false }),
    ).rejects.toBeTruthy();
    rejecting({ ...expired, code: 'internal' });
    await expect(api.getAccount(1)).rejects.toBeTruthy();
    rejecting('not_signed_in');
    await expect(api.getAccount(1)).rejects.toBe('not_signed_in');
    expect(handler).not.toHaveBeenCalled();
  });

  it('the remover only removes its own handler', async () => {
    const first = vi.fn();
    const second = vi.fn();
    const removeFirst = api.setSessionLostHandler(first);
    api.setSessionLostHandler(second);
    removeFirst();
    rejecting({ ...expired, code: 'not_signed_in' });
    await expect(api.searchAccounts('q', null)).rejects.toBeTruthy();
    expect(second).toHaveBeenCalledTimes(1);
    expect(first).not.toHaveBeenCalled();
  });
});
