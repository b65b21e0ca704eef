import { TokenBucket } from './token-bucket';

describe('TokenBucket', () => {
  it('starts full and refills at the rate, capped at the burst', () => {
    const b = new TokenBucket(10, 5, 0);
    expect(b.available(0)).toBe(5);
    b.take(5, 0);
    expect(b.available(0)).toBe(0);
    expect(b.available(99)).toBe(0);
    expect(b.available(100)).toBe(1);
    expect(b.available(10_000)).toBe(5);
  });

  it('says how long until the next whole token', () => {
    const b = new TokenBucket(20, 1, 0);
    b.take(1, 0);
    expect(b.msUntil(1, 0)).toBe(50);
    expect(b.msUntil(1, 30)).toBe(20);
    expect(b.msUntil(1, 50)).toBe(0);
  });

  it('never spends more than burst + rate x time, however it is polled', () => {
    const b = new TokenBucket(20, 1, 0);
    let admitted = 0;
    for (let t = 0; t <= 3000; t += 7) {
      const n = b.available(t);
      b.take(n, t);
      admitted += n;
    }
    expect(admitted).toBeLessThanOrEqual(61);
    expect(admitted).toBeGreaterThanOrEqual(50);
  });

  it('spends exactly burst + rate x time when taken as soon as available', () => {
    const b = new TokenBucket(20, 1, 0);
    let admitted = 0;
    let t = 0;
    while (t <= 3000) {
      const n = b.available(t);
      b.take(n, t);
      admitted += n;
      t += Math.max(1, b.msUntil(1, t));
    }
    expect(admitted).toBe(61);
  });

  it('applies a new rate without granting a fresh burst', () => {
    const b = new TokenBucket(10, 10, 0);
    b.take(10, 0);
    b.configure(100, 50, 0);
    expect(b.available(0)).toBe(0);
    expect(b.available(100)).toBe(10);
    b.configure(1, 2, 100);
    expect(b.available(100)).toBe(2);
  });

  it('pauses at rate 0 and resumes when the rate comes back', () => {
    const b = new TokenBucket(10, 2, 0);
    b.take(1, 0);
    b.configure(0, 2, 0);
    expect(b.available(0)).toBe(0);
    expect(b.available(60_000)).toBe(0);
    expect(b.msUntil(1, 60_000)).toBe(Infinity);
    b.configure(10, 1, 60_000);
    expect(b.available(60_100)).toBe(1);
  });
});
