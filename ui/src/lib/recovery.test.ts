import { describe, expect, it } from 'vitest';
import type { AccountDetail } from './contract';
import {
  TROUBLESHOOTING,
  describeAddressCheck,
  hasSent,
  resetAvailableIn,
  resetButtonLabel,
  securityDetailsUrl,
} from './recovery';

const base: AccountDetail = {
  id: 1,
  username: 'maria',
  display_name: 'Maria',
  status: 'active',
  country: 'ES',
  created_at: '2023-01-01T00:00:00Z',
  last_sign_in_at: null,
  emails: [],
  phone: null,
  two_factor: [],
  security_question_set: true,
  recent_emails: [],
  password_reset_available_in: 0,
  answer_reset_available_in: 90,
  duplicates: [],
  caller_verified: null,
};

const mail = (kind: string) => ({
  id: 1,
  kind,
  to_masked: 'm***@example.com',
  status: 'sent' as const,
  created_at: '2024-05-01T10:00:00Z',
  link: 'pending' as const,
});

describe('describeAddressCheck', () => {
  it.each([
    [
      { matches: true, primary: true, verified: true, bounced: false },
      'Matches the primary address (verified)',
    ],
    [
      { matches: true, primary: true, verified: false, bounced: true },
      'Matches the primary address (unverified, bounced)',
    ],
    [
      { matches: true, primary: false, verified: false, bounced: true },
      'Matches a secondary address (unverified, bounced)',
    ],
    [
      { matches: true, primary: false, verified: true, bounced: false },
      'Matches a secondary address (verified)',
    ],
    [{ matches: false, primary: false, verified: false, bounced: false }, 'No address on file matches'],
    // Flags on a non-match mean nothing and are not read.
    [{ matches: false, primary: true, verified: true, bounced: true }, 'No address on file matches'],
  ])('%o -> %s', (result, text) => {
    expect(describeAddressCheck(result)).toBe(text);
  });
});

describe('reset kinds', () => {
  it('reads each kind’s cooldown', () => {
    expect(resetAvailableIn(base, 'password')).toBe(0);
    expect(resetAvailableIn(base, 'answer')).toBe(90);
  });

  it('offers a resend only for the kind already sent', () => {
    const sent = { ...base, recent_emails: [mail('password_reset')] };
    expect(hasSent(sent, 'password')).toBe(true);
    expect(resetButtonLabel(sent, 'password')).toBe('Resend password reset');
    expect(resetButtonLabel(sent, 'answer')).toBe('Send security-answer reset');
    expect(resetButtonLabel(base, 'password')).toBe('Send password reset');
    const answer = { ...base, recent_emails: [mail('security_answer_reset')] };
    expect(resetButtonLabel(answer, 'answer')).toBe('Resend security-answer reset');
    expect(resetButtonLabel(answer, 'password')).toBe('Send password reset');
  });
});

describe('troubleshooting', () => {
  it('follows the article’s order', () => {
    expect(TROUBLESHOOTING.map((i) => i.id)).toEqual([
      'right-address',
      'spam',
      'send-again',
      'browser',
      'security-form',
    ]);
  });

  it('the security-details form lives on the service', () => {
    expect(securityDetailsUrl('https://desk.example.com/')).toBe('https://desk.example.com/security-details');
    expect(securityDetailsUrl(' http://127.0.0.1:8787 ')).toBe('http://127.0.0.1:8787/security-details');
  });
});
