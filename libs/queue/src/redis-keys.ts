/**
 * The Redis layout shared by the gateway (writes heartbeats, cancellations,
 * spends) and the admitter (reads them at the head of the line, writes
 * admissions). Keys are relative: the ioredis client adds REDIS_KEY_PREFIX.
 *
 * ticket:{uuid}           hash   hb (epoch ms of last poll), cancelled (epoch ms),
 *                                 skipped ('cancelled' | 'abandoned'), skippedAt, admittedAt (epoch ms),
 *                                 issuing, spent (epoch ms). TTL: TICKET_STATE_TTL_SECONDS.
 * line:{line}:settings    hash   ratePerSec, burst, maxActive (runtime overrides, admin API);
 *                                 closesAt, endedAt (epoch ms; line.ts readLineLifecycle)
 * line:{line}:active      zset   uuid -> pass expiry (epoch ms): admitted, unspent passes
 * line:{line}:admissions  stream uuid, partition, offset, at: the admission log, in order,
 *                                 trimmed to about ADMISSIONS_STREAM_MAXLEN entries
 * line:{line}:stats       hash   admitted, skippedCancelled, skippedAbandoned, rejoined counters
 * line:{line}:user:{id}   string the user's current ticket for the line (one place per user),
 *                                 or a short "being written" claim. TTL: the ticket's life.
 * line:{line}:draw        hash   a scheduled line: opensAt, preQueue, seed, commitment, status
 *                                 (scheduled | done), entrants, late, drawnAt (draw.ts)
 * line:{line}:placed      hash   pre-queue uuid -> "partition:offset" of its place in the line
 * pow:{signature}         string a proof-of-work challenge already used (until it expires)
 * gateways:pulse          hash   last, since: heartbeats are reaching Redis (pulse.ts)
 */
export const RedisKeys = {
  ticket: (uuid: string) => `ticket:${uuid}`,
  lineSettings: (line: string) => `line:${line}:settings`,
  lineActive: (line: string) => `line:${line}:active`,
  lineAdmissions: (line: string) => `line:${line}:admissions`,
  lineStats: (line: string) => `line:${line}:stats`,
  pulse: () => 'gateways:pulse',
  userPlace: (line: string, userId: string) => `line:${line}:user:${userId}`,
  lineDraw: (line: string) => `line:${line}:draw`,
  linePlaced: (line: string) => `line:${line}:placed`,
  powUsed: (signature: string) => `pow:${signature}`,
} as const;

export const TicketFields = {
  heartbeat: 'hb',
  cancelled: 'cancelled',
  skipped: 'skipped',
  admittedAt: 'admittedAt',
  /** Epoch ms at which the ticket was skipped (either reason). */
  skippedAt: 'skippedAt',
  spent: 'spent',
  /** Epoch ms at which a gateway started issuing the coupon for this admitted ticket. */
  issuing: 'issuing',
} as const;

/** Ticket state outlives any line: a week. */
export const TICKET_STATE_TTL_SECONDS = 7 * 24 * 3600;

/** The admission log keeps about this many newest entries per line (XADD MAXLEN ~). */
export const ADMISSIONS_STREAM_MAXLEN = 200_000;
