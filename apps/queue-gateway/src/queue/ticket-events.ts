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
import { LineSnapshot, LineStateService } from './line-state.service';
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
}

/** Resolves a ticket's current status (QueueService): memory for waiting tickets, Redis once past the head. */
export type StatusResolver = (claims: TicketClaims) => Promise<TicketStatusDto>;

export const sseEvent = (event: string, data: unknown): string =>
  `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

/**
 * Server-Sent Events for waiting tickets. Each line's state is serialised once
 * per change (LineStateService) and the same bytes are written to every stream
 * of that line, at most once per SSE_MIN_UPDATE_MS; each stream costs a write.
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
  private readonly lastFanout = new Map<string, number>();
  private readonly pendingFanout = new Map<string, NodeJS.Timeout>();
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
    this.timers.push(setInterval(() => this.keepAlive(), this.env.SSE_KEEPALIVE_SECONDS * 1000));
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
    for (const t of this.pendingFanout.values()) clearTimeout(t);
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
    if (snapshot) res.write(snapshot.sseFrame);
    const stream: Stream = { claims, res, finishing: false };
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
    const { partitions, soldOut } = snapshot.state;
    const done: Stream[] = [];
    for (const s of streams) {
      if (s.finishing) continue;
      const committed = partitions[s.claims.partition]?.committedOffset ?? 0;
      if (soldOut || s.claims.offset < committed) done.push(s);
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
    this.scheduleFanout(line);
  }

  /** Writes the line's latest frame to its streams, at most once per SSE_MIN_UPDATE_MS. */
  private scheduleFanout(line: string): void {
    if (this.pendingFanout.has(line)) return;
    const wait = (this.lastFanout.get(line) ?? 0) + this.env.SSE_MIN_UPDATE_MS - Date.now();
    if (wait <= 0) return this.fanout(line);
    const timer = setTimeout(() => {
      this.pendingFanout.delete(line);
      this.fanout(line);
    }, wait);
    timer.unref();
    this.pendingFanout.set(line, timer);
  }

  private fanout(line: string): void {
    this.lastFanout.set(line, Date.now());
    const frame = this.lines.get(line)?.sseFrame;
    const streams = this.byLine.get(line);
    if (!frame || !streams) return;
    for (const s of streams) if (!s.finishing) this.write(s, frame);
  }

  private finish(s: Stream, status: TicketStatusDto): void {
    s.finishing = true;
    if (!s.res.writableEnded) s.res.end(sseEvent('outcome', status));
    this.remove(s);
  }

  private write(s: Stream, bytes: Buffer): void {
    if (s.res.writableLength > SSE_MAX_BUFFERED_BYTES) {
      s.res.destroy();
      return;
    }
    s.res.write(bytes);
  }

  private beat(): void {
    const now = Date.now();
    for (const uuid of this.byUuid.keys()) this.heartbeats.touch(uuid, now);
  }

  private keepAlive(): void {
    for (const streams of this.byLine.values()) {
      for (const s of streams) if (!s.finishing) this.write(s, KEEP_ALIVE);
    }
  }
}
