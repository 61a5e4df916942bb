import { UpstreamError } from '../errors.js';
import type { Logger } from '../observability/log.js';

/**
 * A circuit breaker for one Braze host. After `threshold` consecutive failures (no answer, a
 * timeout, a 5xx) it opens: calls fail at once with UPSTREAM_ERROR instead of piling up behind a
 * dead Braze. After `cooldownMs` one trial call goes through (half-open); its success closes the
 * circuit, its failure opens it again.
 */
export class CircuitBreaker {
  #failures = 0;
  #openUntilMs = 0;
  #trialInFlight = false;

  constructor(
    private readonly threshold: number,
    private readonly cooldownMs: number,
    private readonly now: () => number,
    private readonly log: Logger,
  ) {}

  get state(): 'closed' | 'open' | 'half-open' {
    if (this.threshold <= 0 || this.#failures < this.threshold) return 'closed';
    return this.now() < this.#openUntilMs ? 'open' : 'half-open';
  }

  /**
   * Throws while the circuit is open. Reserves nothing: a caller may still wait for budget, or
   * give up, before it has a request to send (the trial is reserved by `admit`).
   */
  check(path: string): void {
    const state = this.state;
    if (state === 'closed' || (state === 'half-open' && !this.#trialInFlight)) return;
    throw this.#openError(path);
  }

  /**
   * Called right before a request goes out. Half-open: the first caller becomes the trial and
   * every other one fails fast until the trial's `success` or `failure` settles it. A caller
   * that `admit` let through always reaches one of the two.
   */
  admit(path: string): void {
    const state = this.state;
    if (state === 'closed') return;
    if (state === 'half-open' && !this.#trialInFlight) {
      this.#trialInFlight = true;
      return;
    }
    throw this.#openError(path);
  }

  #openError(path: string): UpstreamError {
    const retryInS = Math.max(1, Math.ceil((this.#openUntilMs - this.now()) / 1000));
    return new UpstreamError(
      'circuit_open',
      `Braze is failing repeatedly; not calling ${path} for now (retry in ${retryInS} s).`,
      { mayHaveBeenProcessed: false },
    );
  }

  success(): void {
    if (this.#failures >= this.threshold && this.threshold > 0)
      this.log.warn('Braze answers again: circuit closed');
    this.#failures = 0;
    this.#trialInFlight = false;
  }

  failure(): void {
    this.#failures += 1;
    this.#trialInFlight = false;
    if (this.threshold > 0 && this.#failures >= this.threshold) {
      if (this.now() >= this.#openUntilMs) {
        this.log.warn(
          { failures: this.#failures, cooldownMs: this.cooldownMs },
          'Braze keeps failing: circuit open',
        );
      }
      this.#openUntilMs = this.now() + this.cooldownMs;
    }
  }
}
