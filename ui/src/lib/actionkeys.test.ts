import { describe, expect, it } from 'vitest';
import { ActionKeys } from './actionkeys';

describe('ActionKeys', () => {
  it('keeps the key when the same action is sent again after a failure', () => {
    const keys = new ActionKeys();
    const first = keys.keyFor({ decision: 'reject', note: 'no' });
    expect(keys.keyFor({ decision: 'reject', note: 'no' })).toBe(first);
  });

  it('gives a changed action, and any action after one that was done, a new key', () => {
    const keys = new ActionKeys();
    const first = keys.keyFor({ decision: 'reject', note: 'no' });
    const changed = keys.keyFor({ decision: 'reject', note: 'no, the facts differ' });
    expect(changed).not.toBe(first);
    keys.done();
    expect(keys.keyFor({ decision: 'reject', note: 'no, the facts differ' })).not.toBe(changed);
  });
});
