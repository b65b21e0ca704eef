import { Arrival, arrivedBefore } from '@app/queue';

export type { Arrival };

/** What the merge knows about one partition of a line. */
export interface PartitionView<T extends Arrival> {
  partition: number;
  /** Fetched, undecided records, in offset order. */
  buffer: readonly T[];
  /** The offset the consumer fetches next (just after the last fetched record); undefined if unknown. */
  position?: number;
  /** The latest high-watermark reading, taken by a request SENT at `at` (admitter clock, epoch ms). */
  observed?: { high: number; at: number };
}

export interface MergeResult<T> {
  /** The next items to decide, in admission order. */
  order: T[];
  /** Partitions that stopped the merge: empty, and not known to hold nothing older. */
  blockedBy: number[];
  /** When blocked: the append time of the candidate that had to wait. */
  blockedAt?: number;
}

/**
 * First-come-first-served across a line's partitions.
 *
 * The next item is the buffered head that arrived first ({@link arrivedBefore}:
 * broker append time, ties broken by the produce batch). The gateway writes
 * each batch of a line to one partition, so inside a batch the offset order
 * is the arrival order. That is only safe if no partition can still
 * deliver an older record, so every partition whose buffer is exhausted must
 * be known caught-up for the candidate: a high-watermark reading, requested at
 * or after `candidate.timestamp + graceMs`, equal to (or below) that
 * partition's fetch position. A record appended before the reading would be
 * below the high watermark, hence already fetched; one appended after it has a
 * later timestamp than the candidate. `graceMs` absorbs clock skew between the
 * broker and the admitter and replication lag (a record is appended, and
 * timestamped, before the high watermark passes it).
 *
 * With one partition this is simply that partition's offset order.
 */
export function mergeOrder<T extends Arrival>(
  partitions: readonly PartitionView<T>[],
  limit: number,
  graceMs: number,
): MergeResult<T> {
  const cursor = partitions.map(() => 0);
  const order: T[] = [];
  while (order.length < limit) {
    let best = -1;
    for (let i = 0; i < partitions.length; i++) {
      const head = partitions[i].buffer[cursor[i]];
      if (!head) continue;
      if (best < 0) {
        best = i;
        continue;
      }
      const current = partitions[best].buffer[cursor[best]];
      if (arrivedBefore(head, current)) best = i;
    }
    if (best < 0) return { order, blockedBy: [] };
    const candidate = partitions[best].buffer[cursor[best]];
    const blockedBy = partitions
      .filter((p, i) => cursor[i] >= p.buffer.length && !caughtUp(p, candidate.timestamp, graceMs))
      .map((p) => p.partition);
    if (blockedBy.length > 0) return { order, blockedBy, blockedAt: candidate.timestamp };
    order.push(candidate);
    cursor[best]++;
  }
  return { order, blockedBy: [] };
}

export function caughtUp<T extends Arrival>(
  p: PartitionView<T>,
  timestamp: number,
  graceMs: number,
): boolean {
  return (
    p.position !== undefined &&
    p.observed !== undefined &&
    p.observed.high <= p.position &&
    p.observed.at - graceMs >= timestamp
  );
}
