// One key copies what an agent pastes into the help-desk ticket: the account id, the masked
// address, the request's reference. Only what the console already shows is ever copied (never a
// revealed address: that stays on screen only), and a line says what was copied.

/** Puts `text` on the clipboard; false when the system refused. */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // Some webviews refuse the async clipboard without a permission: the older way, from the
    // same key press, still works there.
    const area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.style.position = 'fixed';
    area.style.opacity = '0';
    document.body.append(area);
    area.select();
    try {
      return document.execCommand('copy');
    } catch {
      return false;
    } finally {
      area.remove();
    }
  }
}

/** The line under a view that says what the last copy did; it clears itself after a while. */
export class CopyStatus {
  text = $state<string | null>(null);
  ok = $state(true);
  #timer: ReturnType<typeof setTimeout> | null = null;

  /** Copies `value`, then says "Copied the account id: 42" (or why not). */
  async copy(what: string, value: string): Promise<boolean> {
    const ok = await copyText(value);
    this.ok = ok;
    this.text = ok
      ? `Copied the ${what}: ${value}`
      : `Could not copy the ${what}: the system refused the clipboard`;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => (this.text = null), 4000);
    return ok;
  }
}
