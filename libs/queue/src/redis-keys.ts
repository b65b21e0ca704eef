/**
 * The Redis layout shared by the gateway (writes heartbeats, cancellations,
 * spends) and the admitter (reads them at the head of the line, writes
 * admissions). Keys are relative: the ioredis client adds REDIS_KEY_PREFIX.
 *
 * ticket:{uuid}           hash   hb (epoch ms of last poll), cancelled (epoch ms),
 *                                 skipped ('cancelled' | 'abandoned'), admittedAt (epoch ms),
 *                                 spent (epoch ms). TTL: TICKET_STATE_TTL_SECONDS.
 * line:{line}:settings    hash   ratePerSec, burst, maxActive (runtime overrides, admin API)
 * line:{line}:active      zset   uuid -> pass expiry (epoch ms): admitted, unspent passes
 * line:{line}:admissions  stream uuid, partition, offset, at: the admission log, in order
 * line:{line}:stats       hash   admitted, skippedCancelled, skippedAbandoned counters
 */
export const RedisKeys = {
  ticket: (uuid: string) => `ticket:${uuid}`,
  lineSettings: (line: string) => `line:${line}:settings`,
  lineActive: (line: string) => `line:${line}:active`,
  lineAdmissions: (line: string) => `line:${line}:admissions`,
  lineStats: (line: string) => `line:${line}:stats`,
} as const;

export const TicketFields = {
  heartbeat: 'hb',
  cancelled: 'cancelled',
  skipped: 'skipped',
  admittedAt: 'admittedAt',
  spent: 'spent',
} as const;

/** Ticket state outlives any line: a week. */
export const TICKET_STATE_TTL_SECONDS = 7 * 24 * 3600;
