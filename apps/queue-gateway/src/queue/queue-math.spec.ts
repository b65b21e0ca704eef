import { etaSeconds, MAX_POLL_MS, MIN_POLL_MS, pollAfterMs, position } from './queue-math';

describe('position', () => {
  it('counts ahead from the committed offset and behind from the log end', () => {
    expect(position(10, 4, 20)).toEqual({ ahead: 6, behind: 9, admitted: false });
  });
  it('is admitted exactly when offset < committedOffset', () => {
    expect(position(4, 4, 5)).toEqual({ ahead: 0, behind: 0, admitted: false });
    expect(position(3, 4, 5)).toEqual({ ahead: 0, behind: 1, admitted: true });
  });
  it('never reports negative numbers, even from a stale log end', () => {
    expect(position(7, 0, 3)).toEqual({ ahead: 7, behind: 0, admitted: false });
  });
});

describe('etaSeconds', () => {
  it('is ahead / rate, rounded up, with the rate shared by the partitions', () => {
    expect(etaSeconds(100, 50, 1)).toBe(2);
    expect(etaSeconds(101, 50, 1)).toBe(3);
    expect(etaSeconds(100, 50, 4)).toBe(8);
  });
  it('is 0 at the head and null when the rate is unknown or zero', () => {
    expect(etaSeconds(0, null, 1)).toBe(0);
    expect(etaSeconds(5, null, 1)).toBeNull();
    expect(etaSeconds(5, 0, 1)).toBeNull();
  });
});

describe('pollAfterMs', () => {
  it('polls as often as allowed at the head', () => {
    expect(pollAfterMs(0, 0)).toBe(MIN_POLL_MS);
  });
  it('is a quarter of the remaining wait when the rate is known', () => {
    expect(pollAfterMs(100, 8)).toBe(2000);
  });
  it('grows with the line when the rate is unknown', () => {
    expect(pollAfterMs(10, null)).toBeLessThan(pollAfterMs(100, null));
  });
  it('stays within bounds', () => {
    for (const [ahead, eta] of [
      [1, 0.1],
      [1e6, null],
      [1e6, 1e6],
      [3, 1],
    ] as const) {
      const ms = pollAfterMs(ahead, eta);
      expect(ms).toBeGreaterThanOrEqual(MIN_POLL_MS);
      expect(ms).toBeLessThanOrEqual(MAX_POLL_MS);
    }
    expect(pollAfterMs(1e6, null)).toBe(MAX_POLL_MS);
    expect(pollAfterMs(1, 0.1)).toBe(MIN_POLL_MS);
  });
});
