/**
 * A line is the queue in front of one protected resource (a coupon code).
 * Each line is its own Kafka topic with LINE_PARTITIONS partitions, so its
 * offsets, committed offsets and retention are its own.
 */
export const LINE_CODE_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

export const lineTopic = (prefix: string, line: string): string => `${prefix}${line}`;

/** A scheduled line's pre-queue topic (its '.' keeps it out of the admitter's line discovery). */
export const preQueueTopic = (prefix: string, line: string): string => `${prefix}${line}.pre`;

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

/** The environment's defaults for {@link LineSettings}. */
export interface LineSettingsDefaults {
  ADMISSION_RATE_PER_SEC: number;
  ADMISSION_BURST: number;
  ADMISSION_MAX_ACTIVE: number;
}

/** One stored field as a number, or undefined when absent, empty or not a number. */
const stored = (v: string | null | undefined): number | undefined => {
  if (v === null || v === undefined || v.trim() === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
};

/**
 * The one reading of a line's stored settings (hash line:{code}:settings, written
 * by the admin API), used by the admitter, the admin API and the line state:
 * `overrides` are the valid stored fields; `settings` fills the rest from the
 * environment. Absent, empty or out-of-range fields are not overrides (an empty
 * string is never read as 0, which would pause the line). A rate of 0 pauses.
 */
export function readLineSettings(
  raw: Partial<Record<keyof LineSettings, string | null | undefined>>,
  defaults: LineSettingsDefaults,
): { settings: LineSettings; overrides: Partial<LineSettings> } {
  const overrides: Partial<LineSettings> = {};
  const rate = stored(raw.ratePerSec);
  if (rate !== undefined && rate >= 0) overrides.ratePerSec = rate;
  const burst = stored(raw.burst);
  if (burst !== undefined && burst >= 1) overrides.burst = Math.floor(burst);
  const maxActive = stored(raw.maxActive);
  if (maxActive !== undefined && maxActive >= 0) overrides.maxActive = Math.floor(maxActive);
  return {
    overrides,
    settings: {
      ratePerSec: overrides.ratePerSec ?? defaults.ADMISSION_RATE_PER_SEC,
      burst: overrides.burst ?? Math.max(1, defaults.ADMISSION_BURST),
      maxActive: overrides.maxActive ?? defaults.ADMISSION_MAX_ACTIVE,
    },
  };
}

/**
 * Where a line is in its life, as the admin API stored it (hash
 * line:{code}:settings, fields closesAt and endedAt, epoch ms):
 * - closed (now >= closesAt): no new places; those in line keep theirs and are
 *   admitted in turn;
 * - ended (endedAt set, by a drain): nobody more is admitted; every ticket still
 *   waiting is told 410 LINE_ENDED. Final: the settings hash is the line's tombstone.
 */
export interface LineLifecycle {
  closesAt: number | null;
  endedAt: number | null;
}

export function readLineLifecycle(raw: {
  closesAt?: string | null;
  endedAt?: string | null;
}): LineLifecycle {
  const closesAt = stored(raw.closesAt);
  const endedAt = stored(raw.endedAt);
  return { closesAt: closesAt ?? null, endedAt: endedAt ?? null };
}

/** What a first request must pass on a line: open, and the line's proof of work (0 = none). */
export interface JoinRules extends LineLifecycle {
  powDifficulty: number;
}

export function readJoinRules(raw: {
  closesAt?: string | null;
  endedAt?: string | null;
  powDifficulty?: string | null;
}): JoinRules {
  const pow = stored(raw.powDifficulty);
  return { ...readLineLifecycle(raw), powDifficulty: pow !== undefined && pow > 0 ? pow : 0 };
}

/** No new places on the line (closed or ended) at `now`. */
export const lineClosed = (l: LineLifecycle, now: number): boolean =>
  l.endedAt !== null || (l.closesAt !== null && now >= l.closesAt);
