import { afterEach, describe, expect, it } from 'vitest';
import { addShortcuts, isTopModal, openModal, type Shortcut } from './keyboard.svelte';

let removers: (() => void)[] = [];
afterEach(() => {
  removers.forEach((r) => r());
  removers = [];
});

function register(...shortcuts: Shortcut[]) {
  removers.push(addShortcuts(shortcuts));
}

/** Presses `key` at `target`; true when a shortcut took it (default prevented). */
function press(key: string, init: KeyboardEventInit = {}, target: EventTarget = document.body): boolean {
  const e = new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true, ...init });
  target.dispatchEvent(e);
  return e.defaultPrevented;
}

describe('shortcuts', () => {
  it('fire on their key, any case, without modifiers unless asked', () => {
    const ran: string[] = [];
    register(
      { keys: ['n'], run: () => void ran.push('n') },
      { keys: ['k'], mod: 'ctrl', run: () => void ran.push('ctrl+k') },
    );
    expect(press('N')).toBe(true);
    expect(press('n', { altKey: true })).toBe(false);
    expect(press('n', { shiftKey: true })).toBe(false);
    expect(press('k')).toBe(false);
    expect(press('k', { metaKey: true })).toBe(true);
    expect(ran).toEqual(['n', 'ctrl+k']);
  });

  it('stay quiet while a modal dialog is open', () => {
    let runs = 0;
    register({ keys: ['p'], run: () => void runs++ });
    const close = openModal();
    expect(press('p')).toBe(false);
    close();
    close(); // twice is once
    expect(press('p')).toBe(true);
    expect(runs).toBe(1);
  });

  it('know the top modal, close it on Esc and bring Tab back into it when the focus fell onto the page', () => {
    const frame = (label: string) => {
      const div = document.body.appendChild(document.createElement('div'));
      div.appendChild(document.createElement('button')).textContent = label;
      return div;
    };
    const lower = frame('lower');
    const upper = frame('upper');
    const closed: string[] = [];
    const closeLower = openModal({ frame: lower, onClose: () => closed.push('lower') });
    const closeUpper = openModal({ frame: upper, onClose: () => closed.push('upper') });
    expect([isTopModal(upper), isTopModal(lower)]).toEqual([true, false]);
    (document.activeElement as HTMLElement | null)?.blur();
    expect(press('Tab')).toBe(true);
    expect(document.activeElement?.textContent).toBe('upper');
    // Inside the frame the dialog's own handler decides: the window leaves the key alone.
    expect(press('Escape', {}, upper.querySelector('button')!)).toBe(false);
    expect(press('Escape')).toBe(true);
    expect(closed).toEqual(['upper']);
    closeUpper();
    expect(isTopModal(lower)).toBe(true);
    expect(press('Escape')).toBe(true);
    expect(closed).toEqual(['upper', 'lower']);
    closeLower();
    expect(press('Escape')).toBe(false);
    lower.remove();
    upper.remove();
  });

  it('leave keys typed into a text field alone, unless they say otherwise', () => {
    const input = document.body.appendChild(document.createElement('input'));
    let runs = 0;
    register(
      { keys: ['p'], run: () => void runs++ },
      { keys: ['Escape'], inText: true, run: () => void runs++ },
    );
    expect(press('p', {}, input)).toBe(false);
    expect(press('Escape', {}, input)).toBe(true);
    expect(runs).toBe(1);
    input.remove();
  });

  it('skip when unavailable or when they did nothing, and a key already handled', () => {
    let active = false;
    let runs = 0;
    register({ keys: ['r'], when: () => active, run: () => void runs++ }, { keys: ['x'], run: () => false });
    expect(press('r')).toBe(false);
    active = true;
    expect(press('r')).toBe(true);
    expect(press('x')).toBe(false);
    const handled = (e: Event) => e.preventDefault();
    document.body.addEventListener('keydown', handled);
    expect(press('r')).toBe(true);
    document.body.removeEventListener('keydown', handled);
    expect(runs).toBe(1);
  });

  it('stop firing once removed', () => {
    let runs = 0;
    const remove = addShortcuts([{ keys: ['q'], run: () => void runs++ }]);
    press('q');
    remove();
    press('q');
    expect(runs).toBe(1);
  });
});
