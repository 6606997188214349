// Keyboard focus handling shared by the modal dialogs.

export const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/** Keeps Tab / Shift+Tab inside `container` (call from its keydown handler). */
export function trapTab(e: KeyboardEvent, container: HTMLElement): void {
  if (e.key !== 'Tab') return;
  const items = Array.from(container.querySelectorAll<HTMLElement>(FOCUSABLE));
  if (items.length === 0) {
    e.preventDefault();
    return;
  }
  const first = items[0];
  const last = items[items.length - 1];
  const active = document.activeElement;
  if (e.shiftKey && (active === first || !container.contains(active))) {
    e.preventDefault();
    last.focus();
  } else if (!e.shiftKey && (active === last || !container.contains(active))) {
    e.preventDefault();
    first.focus();
  }
}

/** Brings focus back into `container` when it would leave it (call from its focusout handler). */
export function keepFocusInside(e: FocusEvent, container: HTMLElement): void {
  const next = e.relatedTarget;
  if (next instanceof Node && !container.contains(next)) {
    container.querySelector<HTMLElement>(FOCUSABLE)?.focus();
  }
}

/**
 * Focuses `first` and returns a cleanup that gives focus back to what had it before the dialog
 * opened (return it from the dialog's onMount).
 */
export function focusWhileOpen(first: HTMLElement | null | undefined): () => void {
  const before = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  first?.focus();
  return () => before?.focus();
}

/** A modal dialog's keydown: Esc closes it, Tab stays inside it. */
export function dialogKeydown(e: KeyboardEvent, container: HTMLElement, onClose: () => void): void {
  if (e.key === 'Escape') {
    e.preventDefault();
    e.stopPropagation();
    onClose();
    return;
  }
  trapTab(e, container);
}
