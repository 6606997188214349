// Back and forward (Alt+← / Alt+→) over the accounts and requests an agent opened: opening a
// possible duplicate, or a request from the queue, no longer loses the way back.

export type Place = { target: 'account' | 'request'; id: number };

const same = (a: Place | undefined, b: Place) => a !== undefined && a.target === b.target && a.id === b.id;

export class PlaceHistory {
  #places: Place[] = [];
  #at = -1;
  readonly #max: number;

  constructor(max = 50) {
    this.#max = max;
  }

  /** Something was opened: it becomes the current place, and what was ahead is dropped. */
  visit(place: Place): void {
    if (same(this.#places[this.#at], place)) return;
    this.#places = [...this.#places.slice(0, this.#at + 1), place].slice(-this.#max);
    this.#at = this.#places.length - 1;
  }

  /** The place before the current one (and it becomes current), or null at the start. */
  back(): Place | null {
    if (this.#at <= 0) return null;
    this.#at -= 1;
    return this.#places[this.#at];
  }

  /** The place after the current one (and it becomes current), or null at the end. */
  forward(): Place | null {
    if (this.#at >= this.#places.length - 1) return null;
    this.#at += 1;
    return this.#places[this.#at];
  }
}
