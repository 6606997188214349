// The console's keyboard shortcuts in one place: screens register what they handle, one window
// listener dispatches. A shortcut fires only when no modal dialog is open, nothing handled the key
// before (defaultPrevented), its screen says it is available, and, unless it says otherwise, the
// key was not typed into a text field. The `?` help lists them (shortcuts.ts).
import { FOCUSABLE } from './focustrap';
import { isTextField } from './format';

export type Shortcut = {
  /** `KeyboardEvent.key` values, compared case-insensitively. */
  keys: readonly string[];
  /** `KeyboardEvent.code` values that count too (on macOS, Option+1 types "¡"). */
  codes?: readonly string[];
  /** The modifier held: none (default), Ctrl or Cmd, or Alt; never another one as well. */
  mod?: 'none' | 'ctrl' | 'alt';
  /** Shift may be held (keys typed with it, such as `?`). */
  shift?: boolean;
  /** Fires while a text field has the focus too. */
  inText?: boolean;
  /** Whether it is available now (e.g. its screen is shown). */
  when?: () => boolean;
  /** Does it; false when it did nothing, so the key is left alone. */
  run: (e: KeyboardEvent) => boolean | void;
};

/** An open modal dialog: its frame, and what Esc does to it. */
export type Modal = { frame: HTMLElement; onClose: () => void };

// Open modals, the top one last. Entries without a frame only silence the shortcuts.
const modals: { modal: Modal | null }[] = [];
const registered: Shortcut[][] = [];

/**
 * A modal dialog opened: shortcuts stay quiet until the returned function is called. With `modal`,
 * Esc closes it and Tab goes back into it even when the focus fell out of it onto the page (a
 * focused button that became disabled hands the focus to the body), where its own keydown
 * handler would never see the key.
 */
export function openModal(modal: Modal | null = null): () => void {
  if (modals.length === 0) window.addEventListener('keydown', onModalKeydown);
  const entry = { modal };
  modals.push(entry);
  return () => {
    const i = modals.indexOf(entry);
    if (i < 0) return;
    modals.splice(i, 1);
    if (modals.length === 0) window.removeEventListener('keydown', onModalKeydown);
  };
}

export function modalOpen(): boolean {
  return modals.length > 0;
}

/**
 * Whether `frame` is the top modal. A dialog under another one (About opens on F1 over anything)
 * must not pull the focus back into itself when the one above takes it.
 */
export function isTopModal(frame: HTMLElement): boolean {
  return modals.at(-1)?.modal?.frame === frame;
}

function onModalKeydown(e: KeyboardEvent) {
  const top = modals.at(-1)?.modal;
  if (!top || e.defaultPrevented) return;
  if (e.target instanceof Node && top.frame.contains(e.target)) return;
  if (e.key === 'Escape') {
    e.preventDefault();
    top.onClose();
  } else if (e.key === 'Tab') {
    e.preventDefault();
    top.frame.querySelector<HTMLElement>(FOCUSABLE)?.focus();
  }
}

function modifiersMatch(s: Shortcut, e: KeyboardEvent): boolean {
  const ctrl = e.ctrlKey || e.metaKey;
  if (e.shiftKey && !s.shift) return false;
  switch (s.mod ?? 'none') {
    case 'ctrl':
      return ctrl && !e.altKey;
    case 'alt':
      return e.altKey && !ctrl;
    default:
      return !ctrl && !e.altKey;
  }
}

export function matches(s: Shortcut, e: KeyboardEvent): boolean {
  if (!modifiersMatch(s, e)) return false;
  if (!s.inText && isTextField(e.target)) return false;
  const key = e.key.toLowerCase();
  return s.keys.some((k) => k.toLowerCase() === key) || (s.codes?.includes(e.code) ?? false);
}

function onKeydown(e: KeyboardEvent) {
  if (e.defaultPrevented || modalOpen()) return;
  for (const group of registered) {
    for (const s of group) {
      if (!matches(s, e) || (s.when && !s.when())) continue;
      if (s.run(e) !== false) {
        e.preventDefault();
        return;
      }
    }
  }
}

/** Registers `shortcuts`; returns the function that removes them. */
export function addShortcuts(shortcuts: Shortcut[]): () => void {
  if (registered.length === 0) window.addEventListener('keydown', onKeydown);
  registered.push(shortcuts);
  return () => {
    const i = registered.indexOf(shortcuts);
    if (i >= 0) registered.splice(i, 1);
    if (registered.length === 0) window.removeEventListener('keydown', onKeydown);
  };
}

/** Registers `shortcuts` for as long as the calling component is mounted. */
export function useShortcuts(shortcuts: Shortcut[]): void {
  $effect(() => addShortcuts(shortcuts));
}
