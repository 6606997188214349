import { afterEach, describe, expect, it } from 'vitest';
import { fireEvent, render, waitFor } from '@testing-library/svelte';
import type { About } from '../../lib/contract';
import { desktop } from '../../lib/desktop.svelte';
import { DEFAULT_PREFERENCES, preferences } from '../../lib/preferences.svelte';
import { fail, mockCore } from '../../test/core';
import { el } from '../../test/dom';
import SettingsScreen from './SettingsScreen.svelte';

const ABOUT: About = {
  app_version: '0.1.0',
  server_url: 'https://desk.example',
  service: { version: '0.1.0', api: 'v1' },
  service_error: null,
  notifications: true,
  diagnostics: 'Recovery Desk 0.1.0',
  managed: [
    { name: 'updates', value: 'off (RECOVERY_DESK_UPDATES)' },
    { name: 'notifications', value: 'off (machine settings)' },
  ],
  updates: { on: false, decided_by: 'RECOVERY_DESK_UPDATES', agent_may_change: false },
};

/** The About box where the deployment leaves updates to the agent, as `on` and `decided_by` say. */
function openUpdates(on: boolean, decidedBy = 'default'): About {
  const value = `${on ? 'on' : 'off'} (${decidedBy})`;
  return {
    ...ABOUT,
    managed: [{ name: 'updates', value }, ...ABOUT.managed.slice(1)],
    updates: { on, decided_by: decidedBy, agent_may_change: true },
  };
}

function setup(notificationsAllowed: boolean) {
  desktop.notifications = notificationsAllowed;
  mockCore({ about: () => ABOUT });
  render(SettingsScreen, { serverUrl: 'https://desk.example' });
}

afterEach(() => {
  Object.assign(preferences, DEFAULT_PREFERENCES);
  localStorage.clear();
  delete document.documentElement.dataset.theme;
  desktop.notifications = false;
});

describe('SettingsScreen', () => {
  it('keeps the chosen theme on this computer and draws it at once', async () => {
    setup(true);
    expect(el<HTMLInputElement>('#settings-theme-system').checked).toBe(true);
    await fireEvent.click(el('#settings-theme-dark'));
    expect(document.documentElement.dataset.theme).toBe('dark');
    expect(JSON.parse(localStorage.getItem('recovery-desk.preferences') ?? '{}')).toEqual({
      theme: 'dark',
      notifications: true,
    });
    await fireEvent.click(el('#settings-theme-light'));
    expect(document.documentElement.dataset.theme).toBe('light');
  });

  it('lets the agent turn notifications off, and says when the machine has them off', async () => {
    setup(true);
    const box = el<HTMLInputElement>('#settings-notify');
    expect(box.checked).toBe(true);
    await fireEvent.click(box);
    expect(preferences.notifications).toBe(false);
    expect(localStorage.getItem('recovery-desk.preferences')).toContain('"notifications":false');
  });

  it('shows a managed switch as managed, the versions, the service and every shortcut group', async () => {
    setup(false);
    const box = el<HTMLInputElement>('#settings-notify');
    expect(box.disabled).toBe(true);
    expect(box.checked).toBe(false);
    await waitFor(() => expect(el('#settings-notify-managed').textContent).toContain('machine settings'));
    expect(el('#settings-updates').textContent).toContain('off (RECOVERY_DESK_UPDATES)');
    expect(el('#settings-server-url').textContent).toBe('https://desk.example');
    expect(el('#settings-service-version').textContent).toBe('0.1.0 (API v1)');
    expect(document.querySelectorAll('[data-testid=shortcut]').length).toBeGreaterThan(10);
    expect(document.body.textContent).not.toContain('token');
  });

  it('has no updates switch where the IT department decides', async () => {
    setup(true);
    await waitFor(() => expect(el('#settings-updates').textContent).toContain('RECOVERY_DESK_UPDATES'));
    expect(document.querySelector('#settings-updates-on')).toBeNull();
    expect(document.body.textContent).toContain(
      'Your IT department decides whether the console updates itself',
    );
  });

  it('lets the agent turn updates off for the next start, and shows what is kept', async () => {
    desktop.notifications = true;
    const core = mockCore({
      about: () => openUpdates(true),
      choose_updates: (args) => openUpdates(args.on as boolean, 'your choice'),
    });
    render(SettingsScreen, { serverUrl: 'https://desk.example' });
    const box = await waitFor(() => el<HTMLInputElement>('#settings-updates-on'));
    expect(box.checked).toBe(true);
    expect(el('#settings-updates-hint').textContent).toContain('next time the console starts');
    await fireEvent.click(box);
    await waitFor(() => expect(el('#settings-updates').textContent).toBe('off (your choice)'));
    expect(core.calls('choose_updates')).toEqual([{ on: false }]);
    expect(el<HTMLInputElement>('#settings-updates-on').checked).toBe(false);
    expect(localStorage.getItem('recovery-desk.preferences')).toBeNull();
  });

  it('puts the box back and says why when the choice cannot be kept', async () => {
    desktop.notifications = true;
    mockCore({
      about: () => openUpdates(true),
      choose_updates: () => fail('forbidden', 'updates are decided on this computer by its IT department'),
    });
    render(SettingsScreen, { serverUrl: 'https://desk.example' });
    const box = await waitFor(() => el<HTMLInputElement>('#settings-updates-on'));
    await fireEvent.click(box);
    await waitFor(() => expect(el('#settings-updates-error').dataset.code).toBe('forbidden'));
    expect(el('#settings-updates-error').textContent).toContain('Your IT department decides');
    expect(el<HTMLInputElement>('#settings-updates-on').checked).toBe(true);
    expect(el('#settings-updates').textContent).toBe('on (default)');
  });
});
