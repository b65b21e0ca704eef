/** Poll no more often than this, even at the head of the line. */
export const MIN_POLL_MS = 250;
/** Poll at least this often: heartbeats must land well inside the abandon window. */
export const MAX_POLL_MS = 10_000;

export interface Position {
  /** Tickets of this partition still to be admitted before this one. */
  ahead: number;
  /** Tickets written to this partition after this one. */
  behind: number;
  admitted: boolean;
}

/** A ticket's place in its partition, in Kafka's own numbers. Admitted iff offset < committedOffset. */
export function position(offset: number, committedOffset: number, endOffset: number): Position {
  return {
    ahead: Math.max(0, offset - committedOffset),
    behind: Math.max(0, endOffset - offset - 1),
    admitted: offset < committedOffset,
  };
}

/**
 * Seconds until admission at the measured rate, or null while no rate is
 * known. The rate is the whole line's; with round-robin writes each of its
 * partitions advances at rate / partitions.
 */
export function etaSeconds(
  ahead: number,
  lineRatePerSec: number | null,
  partitions: number,
): number | null {
  if (ahead === 0) return 0;
  if (lineRatePerSec === null || !(lineRatePerSec > 1e-6)) return null;
  return Math.ceil((ahead * Math.max(1, partitions)) / lineRatePerSec);
}

/**
 * How long a client should wait before polling again: often near the head
 * (so admission is noticed quickly), rarely far back (so a long line does not
 * cost a storm of polls). About a quarter of the remaining wait when the rate
 * is known, else growing with the tickets ahead; always within
 * [MIN_POLL_MS, MAX_POLL_MS].
 */
export function pollAfterMs(ahead: number, eta: number | null): number {
  const raw =
    ahead === 0 ? MIN_POLL_MS : eta !== null ? (eta * 1000) / 4 : MIN_POLL_MS + ahead * 20;
  return Math.round(Math.min(MAX_POLL_MS, Math.max(MIN_POLL_MS, raw)));
}
