/** One timer that fires at the earliest time it was asked for (re-armed only for an earlier one). */
export class EarliestTimer {
  #timer: NodeJS.Timeout | undefined;
  #atMs = Infinity;

  constructor(
    private readonly now: () => number,
    private readonly fire: () => void,
  ) {}

  at(atMs: number): void {
    if (atMs >= this.#atMs) return;
    clearTimeout(this.#timer);
    this.#atMs = atMs;
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        this.#atMs = Infinity;
        this.fire();
      },
      Math.max(0, atMs - this.now()),
    );
  }

  clear(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#atMs = Infinity;
  }
}
