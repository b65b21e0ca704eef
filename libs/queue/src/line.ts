/**
 * A line is the queue in front of one protected resource (a coupon code).
 * Each line is its own Kafka topic with LINE_PARTITIONS partitions, so its
 * offsets, committed offsets and retention are its own.
 */
export const LINE_CODE_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

export const lineTopic = (prefix: string, line: string): string => `${prefix}${line}`;

export const lineFromTopic = (prefix: string, topic: string): string | undefined =>
  topic.startsWith(prefix) ? topic.slice(prefix.length) : undefined;

/** The value of every ticket record in a line topic (key: the uuid). JSON. */
export interface TicketRecord {
  uuid: string;
  line: string;
  userId: string;
  /** Epoch milliseconds at which the gateway accepted the request. */
  issuedAt: number;
}

/** Runtime admission settings of one line; absent fields fall back to the env defaults. */
export interface LineSettings {
  /** Admissions per second (token bucket refill). */
  ratePerSec: number;
  /** Bucket size. */
  burst: number;
  /** Most admitted, unspent, unexpired passes at once; 0 = no cap. */
  maxActive: number;
}
