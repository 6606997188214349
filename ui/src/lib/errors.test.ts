import { describe, expect, it } from 'vitest';
import type { CommandError, ErrorCode } from './contract';
import {
  capText,
  describeError,
  formatCountdown,
  formatHms,
  isCapCode,
  isCommandError,
  SESSION_EXPIRED_NOTICE,
} from './errors';

function err(code: ErrorCode, extra: Partial<CommandError> = {}): CommandError {
  return {
    code,
    message: 'server wording that the UI must not depend on',
    field: null,
    retry_after: null,
    ...extra,
  };
}

describe('formatCountdown', () => {
  it.each([
    [0, '0:00'],
    [5, '0:05'],
    [59, '0:59'],
    [60, '1:00'],
    [125, '2:05'],
    [600, '10:00'],
    [4.2, '0:05'],
    [-3, '0:00'],
    [Number.NaN, '0:00'],
  ])('%s s -> %s', (seconds, text) => {
    expect(formatCountdown(seconds)).toBe(text);
  });
});

describe('describeError for CommandError codes', () => {
  it('invalid_credentials', () => {
    const v = describeError(err('invalid_credentials'));
    expect(v.code).toBe('invalid_credentials');
    expect(v.text).toBe('Email, password or code is wrong.');
    expect(v.sessionLost).toBe(false);
  });

  it('too_many_attempts says how long to wait', () => {
    const v = describeError(err('too_many_attempts', { retry_after: 42 }));
    expect(v.text).toBe('Too many attempts. Wait 42 s and try again.');
    expect(v.retryAfter).toBe(42);
    expect(describeError(err('too_many_attempts')).text).toMatch(/^Too many attempts\. Wait/);
  });

  it('connection_lost says the console retried and that sending again is safe, never the raw error', () => {
    const view = describeError(err('connection_lost'), { serverUrl: 'http://127.0.0.1:8787' });
    expect(view.code).toBe('connection_lost');
    expect(view.text).toBe(
      'Could not reach the service at http://127.0.0.1:8787; the console retried and got no answer. Nothing was done twice: try again when the service is back.',
    );
    expect(view.text).not.toContain('server wording');
    expect(view.sessionLost).toBe(false);
  });

  it('service_unreachable names the URL', () => {
    expect(describeError(err('service_unreachable'), { serverUrl: 'http://10.0.0.5:8787' }).text).toBe(
      'Cannot reach the service at http://10.0.0.5:8787. Check the server URL and that the service is running.',
    );
    expect(describeError(err('service_unreachable')).text).toBe(
      'Cannot reach the service. Check the server URL and that the service is running.',
    );
  });

  it.each(['session_expired', 'unauthorized', 'not_signed_in'] as const)(
    '%s sends back to sign-in',
    (code) => {
      const v = describeError(err(code));
      expect(v.sessionLost).toBe(true);
      expect(v.text).toBe(SESSION_EXPIRED_NOTICE);
      expect(v.text).toBe('Your session expired; sign in again.');
    },
  );

  it('cooldown formats M:SS', () => {
    expect(describeError(err('cooldown', { retry_after: 125 })).text).toBe(
      'A reset was sent recently. You can send another in 2:05.',
    );
    expect(describeError(err('cooldown', { retry_after: 9 })).text).toBe(
      'A reset was sent recently. You can send another in 0:09.',
    );
  });

  it('invalid_input mentions the field', () => {
    const v = describeError(err('invalid_input', { field: 'ticket', message: 'must look like SUP-123' }));
    expect(v.field).toBe('ticket');
    expect(v.text).toBe('Check the ticket reference: must look like SUP-123');
    expect(describeError(err('invalid_input', { field: 'server_url', message: '' })).text).toBe(
      'Check the server URL.',
    );
    expect(describeError(err('invalid_input', { field: 'some_field', message: 'bad' })).text).toContain(
      'some field',
    );
  });

  it('keychain_unavailable explains what to do', () => {
    const text = describeError(err('keychain_unavailable')).text;
    expect(text).toContain('keychain');
    expect(text).toContain('Stay signed in');
  });

  it('internal', () => {
    expect(describeError(err('internal')).text).toBe(
      'The service had a problem; try again. If it persists, tell your lead.',
    );
  });

  it('invalid_state speaks of a request, unless the service words are asked for', () => {
    const refused = err('invalid_state', { message: 'The account is not locked.' });
    expect(describeError(refused).text).toBe('This request has moved on; reload it.');
    expect(describeError(refused, { stateInServiceWords: true }).text).toBe('The account is not locked.');
  });

  it('other codes fall back to the message', () => {
    expect(describeError(err('not_found', { message: 'No such account.' })).text).toBe('No such account.');
    expect(describeError(err('payload_too_large', { message: '' })).text).toBe(
      'Something went wrong (payload_too_large).',
    );
  });
});

describe('describeError for rejections that are not CommandErrors', () => {
  it('a plain string', () => {
    const v = describeError('command get_account not found');
    expect(v.code).toBe('unknown');
    expect(v.text).toBe('Something went wrong: command get_account not found');
    expect(v.sessionLost).toBe(false);
  });

  it('a JSON string of a CommandError is read as one', () => {
    const v = describeError(JSON.stringify(err('invalid_credentials')));
    expect(v.code).toBe('invalid_credentials');
  });

  it('a string that merely looks like JSON', () => {
    expect(describeError('{oops').text).toBe('Something went wrong: {oops');
  });

  it('an Error, null, undefined, an empty string and odd objects', () => {
    expect(describeError(new TypeError('x is undefined')).text).toBe('Something went wrong: x is undefined');
    for (const raw of [null, undefined, '', 42, { code: 7 }]) {
      const v = describeError(raw);
      expect(v.code).toBe('unknown');
      expect(v.text).toBe('Something went wrong; try again.');
    }
  });

  it('isCommandError', () => {
    expect(isCommandError(err('internal'))).toBe(true);
    expect(isCommandError('internal')).toBe(false);
    expect(isCommandError({ code: 'internal' })).toBe(false);
  });
});

describe('recovery email caps', () => {
  it.each([
    [0, '0:00:00'],
    [59, '0:00:59'],
    [3725, '1:02:05'],
    [86_399, '23:59:59'],
    [12.1, '0:00:13'],
    [-5, '0:00:00'],
  ])('formatHms(%s) -> %s', (seconds, text) => {
    expect(formatHms(seconds)).toBe(text);
  });

  it('account_daily_cap says the account reached its daily cap and how long to wait', () => {
    const v = describeError(err('account_daily_cap', { retry_after: 3725 }));
    expect(v.code).toBe('account_daily_cap');
    expect(v.text).toBe('This account has had the most recovery emails allowed today. Try again in 1:02:05.');
    expect(v.retryAfter).toBe(3725);
    expect(v.text).not.toContain('server wording');
  });

  it('agent_hourly_cap is about the agent, not the account', () => {
    const v = describeError(err('agent_hourly_cap', { retry_after: 750 }));
    expect(v.text).toBe('You have sent the most recovery emails allowed this hour. Try again in 0:12:30.');
    expect(describeError(err('agent_hourly_cap')).text).toBe(
      'You have sent the most recovery emails allowed this hour. Try again later.',
    );
  });

  it('isCapCode and capText', () => {
    expect(isCapCode('account_daily_cap')).toBe(true);
    expect(isCapCode('agent_hourly_cap')).toBe(true);
    expect(isCapCode('cooldown')).toBe(false);
    expect(capText('account_daily_cap', null)).toMatch(/today\. Try again later\.$/);
  });

  it.each([
    ['claimed_by_other', 'Another agent is working on this request.'],
    ['lease_expired', 'Your hold on this request ran out; claim it again.'],
    ['same_approver', 'A second approval must come from another lead.'],
    ['queue_empty', 'Nothing to claim — the queue is empty.'],
    ['invalid_state', 'This request has moved on; reload it.'],
    ['checklist_incomplete', 'Tick every item of the verification checklist before deciding.'],
  ] as [ErrorCode, string][])('queue code %s has its own message', (code, text) => {
    const v = describeError(err(code));
    expect(v.code).toBe(code);
    expect(v.text).toBe(text);
    expect(v.sessionLost).toBe(false);
  });
});
