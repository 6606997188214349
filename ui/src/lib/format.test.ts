import { describe, expect, it } from 'vitest';
import { nounCount } from './format';

describe('nounCount', () => {
  it('puts the noun in the number the count needs', () => {
    expect(nounCount(1, 'entry', 'entries')).toBe('1 entry');
    expect(nounCount(0, 'entry', 'entries')).toBe('0 entries');
    expect(nounCount(3, 'checkpoint', 'checkpoints')).toBe('3 checkpoints');
  });
});
