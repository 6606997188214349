import { describe, expect, it } from 'vitest';
import { canSeeAudit, canSeeStaff, viewForShortcut } from './nav';
import { describeError } from './errors';

const keys = (key: string, extra: Partial<KeyboardEvent> = {}) => ({
  altKey: true,
  ctrlKey: false,
  metaKey: false,
  shiftKey: false,
  key,
  code: `Digit${key}`,
  ...extra,
});

describe('navigation', () => {
  it('only admins see the Staff view, and Alt+4 opens it for them alone', () => {
    expect(canSeeStaff('admin')).toBe(true);
    expect(canSeeStaff('lead')).toBe(false);
    expect(canSeeStaff('agent')).toBe(false);
    expect(viewForShortcut(keys('4'), 'admin')).toBe('staff');
    expect(viewForShortcut(keys('4'), 'lead')).toBeNull();
    expect(viewForShortcut(keys('4'), 'agent')).toBeNull();
    // Settings are everyone's.
    expect(viewForShortcut(keys('5'), 'agent')).toBe('settings');
  });

  it('only leads and admins see the audit log', () => {
    expect(canSeeAudit('agent')).toBe(false);
    expect(canSeeAudit('lead')).toBe(true);
    expect(canSeeAudit('admin')).toBe(true);
    expect(canSeeAudit(null)).toBe(false);
  });

  it('Alt+1 opens Lookup for everyone, Alt+2 Audit for leads only', () => {
    expect(viewForShortcut(keys('1'), 'agent')).toBe('lookup');
    expect(viewForShortcut(keys('2'), 'agent')).toBeNull();
    expect(viewForShortcut(keys('2'), 'lead')).toBe('audit');
    // macOS Option+2 types "™"; the physical key still counts.
    expect(viewForShortcut(keys('™', { code: 'Digit2' }), 'admin')).toBe('audit');
  });

  it('Alt+3 opens the Queue for every role', () => {
    expect(viewForShortcut(keys('3'), 'agent')).toBe('queue');
    expect(viewForShortcut(keys('3'), 'lead')).toBe('queue');
    expect(viewForShortcut(keys('£', { code: 'Digit3' }), 'admin')).toBe('queue');
  });

  it('needs Alt alone', () => {
    expect(viewForShortcut(keys('2', { altKey: false }), 'lead')).toBeNull();
    expect(viewForShortcut(keys('2', { ctrlKey: true }), 'lead')).toBeNull();
    expect(viewForShortcut(keys('3', { shiftKey: true }), 'lead')).toBeNull();
    expect(viewForShortcut(keys('4'), 'lead')).toBeNull();
  });

  it('a forbidden audit command can say who may see it', () => {
    const forbidden = { code: 'forbidden', message: 'x', field: null, retry_after: null };
    expect(describeError(forbidden, { forbidden: 'Only team leads can see the audit log.' }).text).toBe(
      'Only team leads can see the audit log.',
    );
    expect(describeError(forbidden).text).toMatch(/role does not allow/);
  });
});
