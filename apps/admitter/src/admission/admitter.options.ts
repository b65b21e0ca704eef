/** Tuning of the admission loop. Defaults suit production; tests shorten the intervals. */
export interface AdmitterOptions {
  /** How often new line topics are looked for (admin.listTopics). */
  discoveryIntervalMs: number;
  /** Decided offsets are committed at least this often... */
  commitIntervalMs: number;
  /** ...or as soon as this many are waiting. */
  commitBatch: number;
  /** How often a line's settings are re-read from Redis. */
  settingsRefreshMs: number;
  /** Clock-skew/replication allowance of the cross-partition merge (see line-merge.ts). */
  mergeGraceMs: number;
  /** Least time between two high-watermark probes of one line. */
  probeIntervalMs: number;
  /** A partition is paused when this many records wait in its buffer, resumed at half. */
  bufferMax: number;
  /** Head tickets decided per Redis round trip. */
  decideBatch: number;
  /** How often a full active set is re-checked. */
  capacityPollMs: number;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  /** Most bytes fetched per partition per request. */
  fetchMaxBytesPerPartition: number;
}

export const ADMITTER_OPTIONS = Symbol('ADMITTER_OPTIONS');

export const defaultAdmitterOptions: AdmitterOptions = {
  discoveryIntervalMs: 3000,
  commitIntervalMs: 50,
  commitBatch: 100,
  settingsRefreshMs: 1000,
  mergeGraceMs: 50,
  probeIntervalMs: 25,
  bufferMax: 2000,
  decideBatch: 100,
  capacityPollMs: 50,
  sessionTimeoutMs: 10_000,
  heartbeatIntervalMs: 1000,
  fetchMaxBytesPerPartition: 1024 * 1024,
};
