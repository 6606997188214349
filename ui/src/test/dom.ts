// DOM helpers shared by the component tests.
import { fireEvent } from '@testing-library/svelte';

/** The element matching `selector`; throws (naming it) when there is none. */
export function el<T extends HTMLElement = HTMLElement>(selector: string): T {
  const found = document.querySelector<T>(selector);
  if (!found) throw new Error(`missing ${selector}`);
  return found;
}

/** All elements matching `selector`. */
export function all<T extends HTMLElement = HTMLElement>(selector: string): T[] {
  return Array.from(document.querySelectorAll<T>(selector));
}

/** A keydown of `k` at `target` (bubbling, like a real key press). */
export function key(target: Element | Window, k: string, init: KeyboardEventInit = {}) {
  return fireEvent.keyDown(target, { key: k, ...init });
}

/** Types into each field by id: `{ email: 'a@b.c' }`. */
export async function fill(values: Record<string, string>) {
  for (const [id, value] of Object.entries(values)) {
    await fireEvent.input(el(`#${id}`), { target: { value } });
  }
}
