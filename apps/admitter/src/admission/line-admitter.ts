import { Logger } from '@nestjs/common';
import { LineRecord, parseArrival } from '@app/kafka';
import { LineSettings, TicketRecord } from '@app/queue';
import { AdmissionStore, HeadTicket } from './admission.store';
import { AdmitterMetrics } from './admitter.metrics';
import { AdmitterOptions } from './admitter.options';
import { mergeOrder, PartitionView } from './line-merge';
import { TokenBucket } from './token-bucket';

/** How often a paused line looks at the gateways' pulse again. */
const SILENT_RECHECK_MS = 250;

/** Milliseconds on a clock that never steps back (token buckets). */
export const monotonicMs = (): number => performance.now();

/** A fetched record; `uuid` undefined when the value is not a ticket record (skipped unread). */
interface Buffered extends HeadTicket {
  valid: boolean;
}

class PartitionState implements PartitionView<Buffered> {
  buffer: Buffered[] = [];
  position?: number;
  observed?: { high: number; at: number };
  paused = false;
  /** Next offset to commit (everything below is decided), if not committed yet. */
  pending?: number;
  constructor(readonly partition: number) {}
}

/** What a line admitter needs from its surroundings (the service and the consumer). */
export interface LinePorts {
  store: AdmissionStore;
  metrics: AdmitterMetrics;
  options: AdmitterOptions;
  abandonMs: number;
  /** Most abandonment skips per second (a bucket of its own): a mass skip is slowed, never instant. */
  skipRatePerSec: number;
  passTtlMs: number;
  pause(partition: number): void;
  resume(partition: number): void;
  /** Partition -> high watermark/low watermark, read now. */
  offsets(): Promise<{ partition: number; high: number; low: number }[]>;
  /** Partition -> committed offset of the group (-1: none). */
  committed(): Promise<Map<number, number>>;
  /** `count` more tickets were decided (the service commits early when many wait). */
  decided(count: number): void;
}

/**
 * The admission loop of one line for one consumer generation. Records arrive
 * from the consumer into per-partition buffers; the loop merges the heads by
 * arrival (line-merge.ts), decides them in Redis (admission.store.ts) within
 * the token bucket and the active-set cap, and leaves the next offsets for the
 * service to commit. A rebalance stops it; whatever it decided but did not
 * commit is re-read by the next owner, which finds the decisions in Redis.
 */
export class LineAdmitter {
  private readonly logger: Logger;
  private readonly partitions = new Map<number, PartitionState>();
  private settings?: LineSettings;
  private settingsAt = 0;
  private ended = false;
  private lastProbeAt = 0;
  private stopped = false;
  private wake?: () => void;
  private loop?: Promise<void>;
  private readonly skips: TokenBucket;
  private silent = false;

  constructor(
    readonly line: string,
    readonly topic: string,
    partitions: number[],
    private readonly bucket: TokenBucket,
    private readonly ports: LinePorts,
  ) {
    this.logger = new Logger(`Admitter:${line}`);
    this.skips = new TokenBucket(ports.skipRatePerSec, ports.skipRatePerSec, monotonicMs());
    for (const p of partitions) this.partitions.set(p, new PartitionState(p));
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Stops deciding; whatever is in flight is discarded (no commit). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
  }

  get depth(): number {
    let n = 0;
    for (const p of this.partitions.values()) n += p.buffer.length;
    return n;
  }

  push(partition: number, records: LineRecord[]): void {
    const state = this.partitions.get(partition);
    if (!state || this.stopped) return;
    for (const r of records) {
      // A re-delivery after pause/resume must not queue a record twice.
      if (state.position !== undefined && r.offset < state.position) continue;
      state.buffer.push(toBuffered(partition, r));
      state.position = r.offset + 1;
    }
    if (!state.paused && state.buffer.length >= this.ports.options.bufferMax) {
      state.paused = true;
      this.ports.pause(partition);
    }
    this.ports.metrics.bufferDepth.set({ line: this.line }, this.depth);
    this.wake?.();
  }

  /** Decided offsets not yet committed. */
  pendingCommits(): { topic: string; partition: number; offset: number }[] {
    if (this.stopped) return [];
    const out: { topic: string; partition: number; offset: number }[] = [];
    for (const p of this.partitions.values()) {
      if (p.pending !== undefined)
        out.push({ topic: this.topic, partition: p.partition, offset: p.pending });
    }
    return out;
  }

  markCommitted(partition: number, offset: number): void {
    const state = this.partitions.get(partition);
    if (state && state.pending === offset) state.pending = undefined;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let waitMs: number;
      let interruptible = false;
      try {
        ({ waitMs, interruptible } = await this.step());
      } catch (e) {
        this.logger.warn(`admission step failed, retrying: ${(e as Error).message}`);
        waitMs = 200;
      }
      if (waitMs > 0 && !this.stopped) await this.sleep(waitMs, interruptible);
    }
  }

  private async step(): Promise<{ waitMs: number; interruptible: boolean }> {
    const { options } = this.ports;
    let now = Date.now();
    if (!this.settings || now - this.settingsAt >= options.settingsRefreshMs)
      await this.refreshSettings(now);
    const settings = this.settings as LineSettings;

    const views = [...this.partitions.values()];
    const { order, blockedBy, blockedAt } = mergeOrder(
      views,
      options.decideBatch,
      options.mergeGraceMs,
    );
    if (order.length === 0) {
      if (blockedBy.length === 0 || blockedAt === undefined) {
        return { waitMs: options.settingsRefreshMs, interruptible: true };
      }
      // Only a reading taken after blockedAt + grace can clear the candidate.
      const due = Math.max(
        this.lastProbeAt + options.probeIntervalMs,
        blockedAt + options.mergeGraceMs,
      );
      if (now < due) return { waitMs: due - now, interruptible: true };
      await this.probe();
      return { waitMs: 0, interruptible: false };
    }

    const firstInvalid = order.findIndex((t) => !t.valid);
    if (firstInvalid === 0) {
      const bad = order[0];
      this.logger.warn(
        `skipping a record that is not a ticket: partition ${bad.partition} offset ${bad.offset}`,
      );
      this.settle(bad);
      this.ports.decided(1);
      return { waitMs: 0, interruptible: false };
    }
    const heads = firstInvalid > 0 ? order.slice(0, firstInvalid) : order;

    now = Date.now();
    // The buckets run on the monotonic clock (a wall-clock step must neither
    // grant nor withhold tokens); Redis compares wall-clock times.
    let mono = monotonicMs();
    const result = await this.ports.store.decide(this.line, heads, {
      now,
      abandonMs: this.ports.abandonMs,
      passTtlMs: this.ports.passTtlMs,
      maxActive: settings.maxActive,
      maxAdmit: Math.min(heads.length, this.bucket.available(mono)),
      maxSkip: Math.min(heads.length, this.skips.available(mono)),
    });
    if (this.stopped) return { waitMs: 0, interruptible: false };
    if (result.stop === 'ended') {
      if (!this.ended) this.logger.log('the line has ended (drained): nobody more is admitted');
      this.ended = true;
      return { waitMs: options.settingsRefreshMs, interruptible: true };
    }
    if (result.stop === 'silent') {
      if (!this.silent) {
        this.logger.warn(
          'no heartbeats are reaching Redis from any gateway: line paused (no admissions, no skips) until they do',
        );
      }
      this.silent = true;
      this.ports.metrics.silent.set({ line: this.line }, 1);
      return { waitMs: SILENT_RECHECK_MS, interruptible: false };
    }
    if (this.silent) {
      this.silent = false;
      this.ports.metrics.silent.set({ line: this.line }, 0);
      this.logger.log('heartbeats are reaching Redis again: line resumed');
    }

    let live = 0;
    let cancelled = 0;
    let abandoned = 0;
    result.outcomes.forEach((outcome, i) => {
      this.settle(heads[i]);
      if (outcome === 'L') live++;
      else if (outcome === 'C') cancelled++;
      else if (outcome === 'B') abandoned++;
    });
    mono = monotonicMs();
    this.bucket.take(live, mono);
    this.skips.take(abandoned, mono);
    const { metrics } = this.ports;
    if (live) metrics.admitted.inc({ line: this.line }, live);
    if (cancelled) metrics.skippedCancelled.inc({ line: this.line }, cancelled);
    if (abandoned) metrics.skippedAbandoned.inc({ line: this.line }, abandoned);
    metrics.bufferDepth.set({ line: this.line }, this.depth);
    if (result.outcomes.length > 0) this.ports.decided(result.outcomes.length);

    if (result.stop === 'token') {
      // Wait for ~10 ms worth of tokens (at least one): fewer, fuller Redis round trips at high rates.
      const want = Math.min(this.bucket.capacity, Math.max(1, Math.ceil(this.bucket.rate / 100)));
      const ms = this.bucket.msUntil(want, monotonicMs());
      return { waitMs: Math.max(1, Math.min(ms, options.settingsRefreshMs)), interruptible: false };
    }
    if (result.stop === 'skips') {
      const ms = this.skips.msUntil(1, monotonicMs());
      return { waitMs: Math.max(1, Math.min(ms, options.settingsRefreshMs)), interruptible: false };
    }
    if (result.stop === 'full') return { waitMs: options.capacityPollMs, interruptible: false };
    if (result.stop === 'paused') {
      // Paused in Redis since the last settings read: take the new settings now.
      this.settingsAt = 0;
      return { waitMs: options.capacityPollMs, interruptible: false };
    }
    return { waitMs: 0, interruptible: false };
  }

  /** Removes a decided head from its buffer and marks its offset for commit. */
  private settle(ticket: Buffered): void {
    const state = this.partitions.get(ticket.partition) as PartitionState;
    const head = state.buffer.shift();
    if (head !== ticket) throw new Error(`merge out of step on partition ${ticket.partition}`);
    state.pending = ticket.offset + 1;
    if (state.paused && state.buffer.length <= this.ports.options.bufferMax / 2) {
      state.paused = false;
      this.ports.resume(ticket.partition);
    }
  }

  private async refreshSettings(now: number): Promise<void> {
    const settings = await this.ports.store.settings(this.line);
    this.settings = settings;
    this.settingsAt = now;
    if (settings.ratePerSec !== this.bucket.rate || settings.burst !== this.bucket.capacity) {
      this.bucket.configure(settings.ratePerSec, settings.burst, monotonicMs());
    }
    this.ports.metrics.rate.set({ line: this.line }, settings.ratePerSec);
    this.ports.metrics.maxActive.set({ line: this.line }, settings.maxActive);
  }

  /** Reads the high watermarks (and, while unknown, the fetch positions) of the line's partitions. */
  private async probe(): Promise<void> {
    const at = Date.now();
    this.lastProbeAt = at;
    const offsets = await this.ports.offsets();
    const unknown = [...this.partitions.values()].some((p) => p.position === undefined);
    const committed = unknown ? await this.ports.committed() : undefined;
    for (const o of offsets) {
      const state = this.partitions.get(o.partition);
      if (!state) continue;
      state.observed = { high: o.high, at };
      if (state.position === undefined && committed) {
        // Nothing fetched yet this generation: the consumer starts at the committed offset (earliest if none).
        const c = committed.get(o.partition) ?? -1;
        state.position = c >= 0 ? c : o.low;
      }
    }
  }

  private sleep(ms: number, interruptible: boolean): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        if (this.wake === wake) this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      // A stop always ends the wait; new records only end an idle one.
      const wake = () => {
        if (interruptible || this.stopped) done();
      };
      this.wake = wake;
    });
  }
}

function toBuffered(partition: number, r: LineRecord): Buffered {
  const base = {
    partition,
    offset: r.offset,
    timestamp: r.timestamp,
    batch: parseArrival(r.arrival),
    uuid: '',
    valid: false,
  };
  try {
    const value = JSON.parse(r.value?.toString('utf8') ?? '') as Partial<TicketRecord>;
    if (typeof value.uuid === 'string' && value.uuid.length > 0 && value.uuid.length <= 64) {
      return { ...base, uuid: value.uuid, valid: true };
    }
  } catch {
    // not JSON: skipped as not a ticket
  }
  return base;
}
