import Redis from 'ioredis';
import { KafkaClient, parseArrival, readTopic } from '@app/kafka';
import { Arrival, arrivedBefore, lineTopic, RedisKeys, TicketFields } from '@app/queue';

/** The fairness audit of one line (npm run audit -- CODE; GET /api/admin/lines/{code}/audit). */
export interface LineAudit {
  line: string;
  /** Ticket records in the line topic (a drawn pre-queue included). */
  written: number;
  /** Admitted in turn (the admission log). */
  admitted: number;
  /** Admitted out of turn on purpose: holders skipped as abandoned who came back within the grace window. */
  rejoined: number;
  skippedCancelled: number;
  skippedAbandoned: number;
  /** Neither admitted nor skipped yet: still waiting (or past the head with no decision: lost). */
  undecided: number;
  /** Admitted before an earlier ticket that was admitted after it: must be 0. */
  outOfOrder: number;
  /** Admitted twice: must be 0. */
  admittedTwice: number;
  /** Tickets whose pass was spent on an issued coupon. */
  issued: number;
  /** Longest time from a ticket's record to its admission, ms. */
  largestWaitMs: number;
  /** The admission log is trimmed to its newest entries (ADMISSIONS_STREAM_MAXLEN): older ones were not checked. */
  logTrimmed: boolean;
}

interface Admission {
  uuid: string;
  at: number;
  rejoined: boolean;
}

/**
 * Replays a line from Kafka (its ticket records, in arrival order) and Redis
 * (the admission log, each ticket's skip or spend) and checks first come,
 * first served: every admission in turn after every earlier one, nobody twice.
 * Reads the whole topic: an operator's tool, not for the hot path.
 */
export async function auditLine(
  kafka: KafkaClient,
  redis: Redis,
  prefix: string,
  line: string,
): Promise<LineAudit> {
  const admin = await kafka.admin();
  const topic = lineTopic(prefix, line);
  const records = (await admin.listTopics()).includes(topic) ? await readTopic(kafka, topic) : [];
  const byUuid = new Map<string, Placed>();
  for (const r of records) {
    if (!r.key) continue;
    byUuid.set(r.key, {
      partition: r.partition,
      offset: r.offset,
      timestamp: r.timestamp,
      batch: parseArrival(r.headers['wr-arrival']),
    });
  }

  const log = await redis.xrange(RedisKeys.lineAdmissions(line), '-', '+');
  const admissions: Admission[] = log.map(([, fields]) => {
    const f: Record<string, string> = {};
    for (let i = 0; i < fields.length; i += 2) f[fields[i]!] = fields[i + 1]!;
    return { uuid: f.uuid!, at: Number(f.at), rejoined: f.rejoined === '1' };
  });
  const stats = await redis.hgetall(RedisKeys.lineStats(line));

  let outOfOrder = 0;
  let largestWaitMs = 0;
  let previous: Placed | undefined;
  const seen = new Set<string>();
  let admittedTwice = 0;
  for (const a of admissions) {
    if (seen.has(a.uuid)) admittedTwice++;
    seen.add(a.uuid);
    const arrival = byUuid.get(a.uuid);
    if (!arrival) continue;
    largestWaitMs = Math.max(largestWaitMs, a.at - arrival.timestamp);
    if (a.rejoined) continue;
    if (previous && cameBefore(arrival, previous)) outOfOrder++;
    previous = arrival;
  }

  // Per ticket: skipped (and why), spent.
  let skippedCancelled = 0;
  let skippedAbandoned = 0;
  let issued = 0;
  const uuids = [...byUuid.keys()];
  for (let i = 0; i < uuids.length; i += 500) {
    const pipeline = redis.pipeline();
    for (const uuid of uuids.slice(i, i + 500)) {
      pipeline.hmget(RedisKeys.ticket(uuid), TicketFields.skipped, TicketFields.spent);
    }
    for (const [, value] of (await pipeline.exec()) ?? []) {
      const [skipped, spent] = (value as (string | null)[] | null) ?? [];
      if (skipped === 'cancelled') skippedCancelled++;
      if (skipped === 'abandoned') skippedAbandoned++;
      if (spent) issued++;
    }
  }
  const rejoined = admissions.filter((a) => a.rejoined).length;
  const admitted = admissions.length - rejoined;
  return {
    line,
    written: byUuid.size,
    admitted,
    rejoined,
    skippedCancelled,
    skippedAbandoned,
    undecided: Math.max(0, byUuid.size - seen.size - skippedCancelled - skippedAbandoned),
    outOfOrder,
    admittedTwice,
    issued,
    largestWaitMs,
    logTrimmed: Number(stats.admitted ?? 0) + rejoined > admissions.length,
  };
}

type Placed = Arrival & { offset: number };

/** Arrival order: offsets within a partition, the admitter's merge order across them. */
const cameBefore = (a: Placed, b: Placed): boolean =>
  a.partition === b.partition ? a.offset < b.offset : arrivedBefore(a, b);
