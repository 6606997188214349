import { describe, expect, it } from 'vitest';
import { justSignedIn, rememberSignIn } from './recent';

describe('a sign-in moments ago', () => {
  it('is remembered for the same address (any case) for 90 seconds only', () => {
    rememberSignIn('Agent@Demo.test', 1_000_000);
    expect(justSignedIn('agent@demo.test ', 1_000_000 + 89_999)).toBe(true);
    expect(justSignedIn('agent@demo.test', 1_000_000 + 90_000)).toBe(false);
    expect(justSignedIn('lead@demo.test', 1_000_001)).toBe(false);
  });
});
