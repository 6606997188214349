import { describe, expect, it } from 'vitest';
import type { CallerVerified } from '../../../lib/contract';
import { verifiedText } from './call';

const at = Date.parse('2026-11-26T09:00:00Z');
const v: CallerVerified = {
  method: 'sms',
  verified_at: '2026-11-26T09:00:00Z',
  valid_until: '2026-11-26T09:15:00Z',
  by: 'Alex Agent',
  by_id: 1,
};

describe('caller verification text', () => {
  it('says how, how long ago and by whom, for 15 minutes only', () => {
    expect(verifiedText(v, at + 30_000)).toBe('Caller verified via SMS code just now by Alex Agent');
    expect(verifiedText(v, at + 3 * 60_000)).toBe('Caller verified via SMS code 3 minutes ago by Alex Agent');
    expect(verifiedText(v, at + 15 * 60_000)).toBeNull();
    expect(verifiedText(null, at)).toBeNull();
  });
});
