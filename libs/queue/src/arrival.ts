/** The minimum arrival order needs: where a record came from and when the broker appended it. */
export interface Arrival {
  partition: number;
  /** Broker append time (LogAppendTime), epoch ms. */
  timestamp: number;
  /** The produce batch it came in (the ticket log's ARRIVAL_HEADER), when known. */
  batch?: { sentAt: number; gateway: string; batch: number };
}

/**
 * Arrival order of two heads of different partitions: broker append time;
 * in the same millisecond, the gateway's send time, then (one gateway's
 * consecutive batches) its batch number; last, the lower partition. A
 * lexicographic key, so the order is total and transitive.
 */
export function arrivedBefore(a: Arrival, b: Arrival): boolean {
  if (a.timestamp !== b.timestamp) return a.timestamp < b.timestamp;
  const sa = a.batch?.sentAt ?? 0;
  const sb = b.batch?.sentAt ?? 0;
  if (sa !== sb) return sa < sb;
  const ga = a.batch?.gateway ?? '';
  const gb = b.batch?.gateway ?? '';
  if (ga !== gb) return ga < gb;
  const na = a.batch?.batch ?? 0;
  const nb = b.batch?.batch ?? 0;
  if (na !== nb) return na < nb;
  return a.partition < b.partition;
}
