// The troubleshooting ticks of the open account, in memory only: kept while that account stays
// open (refreshes, reopening it), cleared when another account is opened.
export class ChecklistTicks {
  #accountId = $state<number | null>(null);
  #ticked = $state<Record<string, boolean>>({});

  get accountId(): number | null {
    return this.#accountId;
  }

  /** Called when an account is opened: a different account starts with no ticks. */
  open(accountId: number): void {
    if (accountId === this.#accountId) return;
    this.#accountId = accountId;
    this.#ticked = {};
  }

  isTicked(item: string): boolean {
    return this.#ticked[item] === true;
  }

  set(item: string, ticked: boolean): void {
    this.#ticked = { ...this.#ticked, [item]: ticked };
  }
}
