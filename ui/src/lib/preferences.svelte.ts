// What an agent chooses for this machine's console: the theme and whether OS notifications show.
// Kept in the webview's storage, which is this machine's and this user's; nothing secret goes in
// (no address, no token), only these two choices.
import { desktop } from './desktop.svelte';

export type Theme = 'system' | 'light' | 'dark';

export interface Preferences {
  theme: Theme;
  /** The agent's own switch; the machine's settings can still turn notifications off. */
  notifications: boolean;
}

export const DEFAULT_PREFERENCES: Preferences = { theme: 'system', notifications: true };

const KEY = 'recovery-desk.preferences';

/** Stored preferences, each one checked: anything unreadable falls back to its default. */
export function parsePreferences(raw: string | null): Preferences {
  let stored: Record<string, unknown> = {};
  try {
    const parsed: unknown = raw ? JSON.parse(raw) : {};
    if (parsed && typeof parsed === 'object') stored = parsed as Record<string, unknown>;
  } catch {
    // A damaged entry is as good as none.
  }
  const theme = stored.theme;
  return {
    theme: theme === 'light' || theme === 'dark' || theme === 'system' ? theme : DEFAULT_PREFERENCES.theme,
    notifications:
      typeof stored.notifications === 'boolean' ? stored.notifications : DEFAULT_PREFERENCES.notifications,
  };
}

function storage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}

export const preferences = $state<Preferences>(parsePreferences(storage()?.getItem(KEY) ?? null));

export function savePreferences(): void {
  storage()?.setItem(
    KEY,
    JSON.stringify({ theme: preferences.theme, notifications: preferences.notifications }),
  );
  applyTheme();
}

/** The theme drawn: the chosen one, or the system's for "system". */
export function resolvedTheme(theme: Theme, systemDark: boolean): 'light' | 'dark' {
  if (theme === 'system') return systemDark ? 'dark' : 'light';
  return theme;
}

function systemDark(): boolean {
  return typeof matchMedia === 'function' && matchMedia('(prefers-color-scheme: dark)').matches;
}

/** Sets the document's theme (app.css draws `data-theme="dark"` with the dark tokens). */
export function applyTheme(): void {
  const theme = resolvedTheme(preferences.theme, systemDark());
  document.documentElement.dataset.theme = theme;
}

/** Follows the system's theme while the choice is "system". */
export function followSystemTheme(): () => void {
  applyTheme();
  if (typeof matchMedia !== 'function') return () => {};
  const query = matchMedia('(prefers-color-scheme: dark)');
  const onChange = () => applyTheme();
  query.addEventListener('change', onChange);
  return () => query.removeEventListener('change', onChange);
}

/** OS notifications show when the machine allows them and the agent has not turned them off. */
export function notificationsOn(): boolean {
  return desktop.notifications && preferences.notifications;
}
