import { LineState } from './line-state.service';
import { updatePaceMs } from './ticket-events';

const line = (ratePerSec: number | null, partitions = 1): LineState => ({
  line: 'A0001',
  state: 'open',
  partitions: Array.from({ length: partitions }, (_, partition) => ({
    partition,
    committedOffset: 0,
    endOffset: 0,
  })),
  waiting: 0,
  ratePerSec,
  configuredRatePerSec: ratePerSec ?? 0,
  remaining: 1,
  quantity: 1,
  soldOut: false,
  opensAt: null,
  closesAt: null,
  powDifficulty: 0,
  refreshedAt: 0,
});

describe('SSE update pace', () => {
  it('updates near the head at the fastest pace and far back at the slowest', () => {
    expect(updatePaceMs(0, line(50), 1000, 10_000)).toBe(1000);
    expect(updatePaceMs(10, line(50), 1000, 10_000)).toBe(1000);
    // 1,000 ahead at 50/s: 20 s to go, a quarter of it between updates.
    expect(updatePaceMs(1000, line(50), 1000, 10_000)).toBe(5000);
    expect(updatePaceMs(100_000, line(50), 1000, 10_000)).toBe(10_000);
    // Paused or unmeasured: grows with the place, within the bounds.
    expect(updatePaceMs(5, line(null), 1000, 10_000)).toBe(1000);
    expect(updatePaceMs(5000, line(null), 1000, 10_000)).toBe(10_000);
    // The measured rate lags behind a line just opened at 50/s: the configured rate sets the pace.
    expect(updatePaceMs(100, { ...line(0.5), configuredRatePerSec: 50 }, 1000, 10_000)).toBe(1000);
    // A deployment that wants one update a second everywhere says so.
    expect(updatePaceMs(100_000, line(50), 1000, 1000)).toBe(1000);
  });
});
