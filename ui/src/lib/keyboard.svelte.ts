// The console's keyboard shortcuts in one place: screens register what they handle, one window
// listener dispatches. A shortcut fires only when no modal dialog is open, nothing handled the key
// before (defaultPrevented), its screen says it is available, and, unless it says otherwise, the
// key was not typed into a text field. The `?` help lists them (shortcuts.ts).
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

let openModals = 0;
const registered: Shortcut[][] = [];

/** A modal dialog opened: shortcuts stay quiet until the returned function is called. */
export function openModal(): () => void {
  openModals++;
  let open = true;
  return () => {
    if (open) openModals--;
    open = false;
  };
}

export function modalOpen(): boolean {
  return openModals > 0;
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
