import { describe, expect, it } from 'vitest';
import { DEFAULT_PREFERENCES, parsePreferences, resolvedTheme } from './preferences.svelte';

describe('preferences', () => {
  it('reads what was stored and falls back per field on anything else', () => {
    expect(parsePreferences(JSON.stringify({ theme: 'dark', notifications: false }))).toEqual({
      theme: 'dark',
      notifications: false,
    });
    expect(parsePreferences(JSON.stringify({ theme: 'neon', notifications: 'yes' }))).toEqual(
      DEFAULT_PREFERENCES,
    );
    expect(parsePreferences('{not json')).toEqual(DEFAULT_PREFERENCES);
    expect(parsePreferences(null)).toEqual(DEFAULT_PREFERENCES);
    expect(parsePreferences('"a string"')).toEqual(DEFAULT_PREFERENCES);
  });

  it('draws the chosen theme, or the system one for "system"', () => {
    expect(resolvedTheme('system', true)).toBe('dark');
    expect(resolvedTheme('system', false)).toBe('light');
    expect(resolvedTheme('light', true)).toBe('light');
    expect(resolvedTheme('dark', false)).toBe('dark');
  });
});
