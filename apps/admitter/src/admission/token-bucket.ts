/**
 * A token bucket with an injected clock (every method takes `now`, epoch ms),
 * so it is exact in unit tests. Refills `ratePerSec` tokens a second up to
 * `burst`; starts full. Reconfiguring keeps the tokens already earned (capped
 * by the new burst), so a runtime rate change never grants a fresh burst.
 * A rate of 0 pauses the line: no token is handed out, not even saved ones.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private ratePerSec: number,
    private burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.last = now;
  }

  get rate(): number {
    return this.ratePerSec;
  }

  get capacity(): number {
    return this.burst;
  }

  configure(ratePerSec: number, burst: number, now: number): void {
    this.refill(now);
    this.ratePerSec = ratePerSec;
    this.burst = burst;
    this.tokens = Math.min(this.tokens, burst);
  }

  /** Whole tokens available now. */
  available(now: number): number {
    this.refill(now);
    return this.ratePerSec > 0 ? Math.floor(this.tokens) : 0;
  }

  take(n: number, now: number): void {
    this.refill(now);
    this.tokens -= n;
  }

  /** Milliseconds until `n` whole tokens are available (0 if they are; Infinity at rate 0). */
  msUntil(n: number, now: number): number {
    this.refill(now);
    if (this.ratePerSec <= 0) return Infinity;
    const missing = n - this.tokens;
    return missing <= 0 ? 0 : Math.ceil((missing * 1000) / this.ratePerSec);
  }

  private refill(now: number): void {
    if (now > this.last) {
      this.tokens = Math.min(
        this.burst,
        this.tokens + ((now - this.last) * this.ratePerSec) / 1000,
      );
      this.last = now;
    }
  }
}
