import {
  BeforeApplicationShutdown,
  Injectable,
  Logger,
  OnApplicationShutdown,
  OnModuleInit,
} from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { ServerResponse } from 'node:http';
import { UnavailableError } from '@app/common';
import { Env } from '@app/config';
import { TicketClaims } from '@app/ticket';
import { GatewayMetrics } from './gateway-metrics';
import { HeartbeatBuffer } from './heartbeat-buffer';
import { LineSnapshot, LineState, LineStateService } from './line-state.service';
import { etaSeconds, pollAfterMs } from './queue-math';
import { TicketStatusDto } from './queue.dto';

/** EventSource's reconnection delay, sent as the stream's `retry:` hint. */
export const SSE_RETRY_MS = 2000;
/** A stream whose client reads slower than this much buffered output is dropped (it reconnects). */
export const SSE_MAX_BUFFERED_BYTES = 256 * 1024;

const KEEP_ALIVE = Buffer.from(': keep-alive\n\n');

interface Stream {
  claims: TicketClaims;
  res: ServerResponse;
  /** An outcome is being resolved or was sent: nothing more is written. */
  finishing: boolean;
  /** The line frame this stream was last sent (a line update is due when it differs). */
  sent?: Buffer;
  /** Epoch ms of the last line update (the next is due after {@link updatePaceMs}). */
  sentAt: number;
  /** The line's state name in the last update: a change (paused, open, sold out) is sent at once. */
  sentState?: string;
  /** Epoch ms of the last write (keep-alives go only to streams idle that long). */
  wroteAt: number;
}

/**
 * How often a stream gets line updates: like a poller's pollAfterMs (a quarter of
 * the remaining wait), between SSE_MIN_UPDATE_MS near the head and
 * SSE_MAX_UPDATE_MS far back. A waiter a thousand places back learns nothing
 * useful from an update a second; its outcome is still sent at once. Worked
 * out afresh at every tick from the line's current numbers (the configured
 * rate when the measured one still lags behind it), so a line that speeds up
 * is not reported at the pace of a slower past.
 */
export function updatePaceMs(
  ahead: number,
  state: LineState,
  minMs: number,
  maxMs: number,
): number {
  const rate = Math.max(state.ratePerSec ?? 0, state.configuredRatePerSec) || state.ratePerSec;
  const eta = etaSeconds(ahead, rate, state.partitions.length);
  return Math.min(maxMs, Math.max(minMs, pollAfterMs(ahead, eta)));
}

/** Resolves a ticket's current status (QueueService): memory for waiting tickets, Redis once past the head. */
export type StatusResolver = (claims: TicketClaims) => Promise<TicketStatusDto>;

export const sseEvent = (event: string, data: unknown): string =>
  `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

/**
 * Server-Sent Events for waiting tickets. Each line's state is serialised once
 * per change (LineStateService) and the same bytes are written to every stream
 * of that line that is due an update (each at its own pace, see
 * {@link updatePaceMs}); a stream costs a write, never a serialisation.
 * An open stream is its holder's heartbeat. When a ticket's offset falls below
 * the committed offset (or the coupon sells out), the stream gets its outcome
 * and ends.
 */
@Injectable()
export class TicketEvents
  implements OnModuleInit, BeforeApplicationShutdown, OnApplicationShutdown
{
  private readonly logger = new Logger('TicketEvents');
  private readonly byLine = new Map<string, Set<Stream>>();
  private readonly byUuid = new Map<string, Set<Stream>>();
  private readonly timers: NodeJS.Timeout[] = [];
  private count = 0;
  private closing = false;
  resolveStatus?: StatusResolver;

  constructor(
    private readonly env: Env,
    private readonly lines: LineStateService,
    private readonly heartbeats: HeartbeatBuffer,
    private readonly metrics: GatewayMetrics,
  ) {}

  get size(): number {
    return this.count;
  }

  onModuleInit(): void {
    this.lines.onChange((line, snapshot) => this.lineChanged(line, snapshot));
    const beatEvery = Math.max(1000, (this.env.ABANDON_AFTER_SECONDS * 1000) / 3);
    this.timers.push(setInterval(() => this.beat(), beatEvery));
    this.timers.push(setInterval(() => this.fanout(), this.env.SSE_MIN_UPDATE_MS));
    // Checked three times per period, so no stream is silent much longer than SSE_KEEPALIVE_SECONDS.
    const keepAliveCheck = Math.max(250, (this.env.SSE_KEEPALIVE_SECONDS * 1000) / 3);
    this.timers.push(setInterval(() => this.keepAlive(), keepAliveCheck));
    for (const t of this.timers) t.unref();
  }

  /** Ends every stream before the HTTP server closes, so clients reconnect to another gateway. */
  beforeApplicationShutdown(): void {
    this.closing = true;
    for (const streams of this.byLine.values()) {
      for (const s of streams) s.res.end();
    }
  }

  onApplicationShutdown(): void {
    for (const t of this.timers) clearInterval(t);
  }

  /** Opens a stream for a verified ticket. Past SSE_MAX_CONNECTIONS: 503 + Retry-After (before anything is written). */
  async open(claims: TicketClaims, reply: FastifyReply): Promise<void> {
    if (this.closing || this.count >= this.env.SSE_MAX_CONNECTIONS) {
      throw new UnavailableError(
        'This gateway holds as many event streams as it may; poll instead',
        5,
      );
    }
    const res = reply.raw;
    // A client may leave while the status is resolved: then nothing is registered.
    let gone = false;
    res.once('close', () => (gone = true));
    const status = await this.status(claims);
    const snapshot = await this.lines.require(claims.line).catch(() => undefined);
    reply.hijack();
    if (gone) return;
    res.writeHead(200, {
      ...(reply.getHeaders() as Record<string, string>),
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
    });
    res.write(`retry: ${SSE_RETRY_MS}\n\n${sseEvent('ticket', status)}`);
    if (status.status !== 'waiting') {
      res.end(sseEvent('outcome', status));
      return;
    }
    const now = Date.now();
    const stream: Stream = { claims, res, finishing: false, sentAt: 0, wroteAt: now };
    if (snapshot) this.sendLine(stream, snapshot, now);
    this.add(stream);
    this.heartbeats.touch(claims.uuid);
    res.on('close', () => this.remove(stream));
  }

  /** The ticket was cancelled through this process: its streams end now. */
  cancelled(uuid: string, status: TicketStatusDto): void {
    for (const s of this.byUuid.get(uuid) ?? []) this.finish(s, status);
  }

  private async status(claims: TicketClaims): Promise<TicketStatusDto> {
    if (!this.resolveStatus) throw new Error('TicketEvents has no status resolver');
    return this.resolveStatus(claims);
  }

  private add(s: Stream): void {
    const { line, uuid } = s.claims;
    let forLine = this.byLine.get(line);
    if (!forLine) this.byLine.set(line, (forLine = new Set()));
    forLine.add(s);
    let forUuid = this.byUuid.get(uuid);
    if (!forUuid) this.byUuid.set(uuid, (forUuid = new Set()));
    forUuid.add(s);
    this.count++;
    this.metrics.sseStreams.set(this.count);
  }

  private remove(s: Stream): void {
    const { line, uuid } = s.claims;
    const forLine = this.byLine.get(line);
    if (!forLine?.delete(s)) return;
    if (forLine.size === 0) this.byLine.delete(line);
    const forUuid = this.byUuid.get(uuid);
    forUuid?.delete(s);
    if (forUuid?.size === 0) this.byUuid.delete(uuid);
    this.count--;
    this.metrics.sseStreams.set(this.count);
  }

  private lineChanged(line: string, snapshot: LineSnapshot): void {
    const streams = this.byLine.get(line);
    if (!streams) return;
    const { partitions, soldOut, state } = snapshot.state;
    // Sold out or ended (drained): every stream of the line gets its final outcome.
    const over = soldOut || state === 'ended';
    const done: Stream[] = [];
    for (const s of streams) {
      if (s.finishing) continue;
      const committed = partitions[s.claims.partition]?.committedOffset ?? 0;
      if (over || s.claims.offset < committed) done.push(s);
    }
    for (const s of done) {
      s.finishing = true;
      this.status(s.claims).then(
        (status) => this.finish(s, status),
        (error: Error) => {
          // Redis could not say (yet): end the stream; the client reconnects and asks again.
          this.logger.warn(`no outcome for ticket ${s.claims.uuid}: ${error.message}`);
          s.res.end();
        },
      );
    }
  }

  /** Every SSE_MIN_UPDATE_MS: each stream that is due and has not seen its line's latest frame gets it. */
  private fanout(): void {
    const now = Date.now();
    for (const [line, streams] of this.byLine) {
      const snapshot = this.lines.get(line);
      if (!snapshot) continue;
      const { state } = snapshot;
      for (const s of streams) {
        if (s.finishing || s.sent === snapshot.sseFrame) continue;
        const due =
          s.sentState !== state.state ||
          now - s.sentAt >=
            updatePaceMs(
              this.ahead(s, state),
              state,
              this.env.SSE_MIN_UPDATE_MS,
              this.env.SSE_MAX_UPDATE_MS,
            );
        if (due) this.sendLine(s, snapshot, now);
      }
    }
  }

  private ahead(s: Stream, state: LineState): number {
    const committed = state.partitions[s.claims.partition]?.committedOffset ?? 0;
    return Math.max(0, s.claims.offset - committed);
  }

  private sendLine(s: Stream, snapshot: LineSnapshot, now: number): void {
    s.sent = snapshot.sseFrame;
    s.sentAt = now;
    s.sentState = snapshot.state.state;
    this.write(s, snapshot.sseFrame, now);
  }

  private finish(s: Stream, status: TicketStatusDto): void {
    s.finishing = true;
    if (!s.res.writableEnded) s.res.end(sseEvent('outcome', status));
    this.remove(s);
  }

  private write(s: Stream, bytes: Buffer, now = Date.now()): void {
    if (s.res.writableLength > SSE_MAX_BUFFERED_BYTES) {
      s.res.destroy();
      return;
    }
    s.wroteAt = now;
    s.res.write(bytes);
  }

  private beat(): void {
    const now = Date.now();
    for (const uuid of this.byUuid.keys()) this.heartbeats.touch(uuid, now);
  }

  /** A comment to every stream that has been silent for SSE_KEEPALIVE_SECONDS (proxies close idle ones). */
  private keepAlive(): void {
    const now = Date.now();
    const idleSince = now - this.env.SSE_KEEPALIVE_SECONDS * 1000;
    for (const streams of this.byLine.values()) {
      for (const s of streams)
        if (!s.finishing && s.wroteAt <= idleSince) this.write(s, KEEP_ALIVE, now);
    }
  }
}
