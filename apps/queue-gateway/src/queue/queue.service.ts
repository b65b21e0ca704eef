import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { DomainError, UnavailableError } from '@app/common';
import { Env } from '@app/config';
import { CouponClient, issueResultToHttp, IssuedCouponBody } from '@app/contracts';
import { OffsetsView, TicketLog, TopicView } from '@app/kafka';
import { lineClosed, lineFromTopic, lineTopic, preQueueTopic, TicketRecord } from '@app/queue';
import { InvalidTicketError, TicketClaims, TicketMismatchError, TicketSigner } from '@app/ticket';
import { CatalogCache } from '../catalog/catalog-cache';
import { DrawService } from '../draw/draw.service';
import { CancellationBus } from './cancellation-bus';
import { GatewayMetrics } from './gateway-metrics';
import { PlaceClaim, PlaceRegistry } from './place-registry';
import { ProofOfWork } from './proof-of-work';
import { HeartbeatBuffer } from './heartbeat-buffer';
import { LineStateService } from './line-state.service';
import { etaSeconds, pollAfterMs, position } from './queue-math';
import { QueuePositionDto, TicketStatus, TicketStatusDto } from './queue.dto';
import { TICKET_HEADER, ticketCookies } from './ticket-cookie';
import { TicketEvents } from './ticket-events';
import { TicketState, TicketStateRepository } from './ticket-state.repository';

export interface Waiting {
  kind: 'waiting';
  body: QueuePositionDto & { ticket: string };
}
/** The headers of a 307 "still waiting" answer, on the framework route and the fast path alike. */
export const waitingHeaders = (body: Waiting['body']): Record<string, string> => ({
  'retry-after': String(Math.ceil(body.pollAfterMs / 1000)),
  'x-queue-ticket': body.ticket,
  'cache-control': 'no-store',
});

export interface Issued {
  kind: 'issued';
  body: IssuedCouponBody;
}

/** A repeated first request waits this long, at most this many times, for the first one's ticket. */
const PLACE_WAIT_MS = 100;
const PLACE_WAIT_ATTEMPTS = 50;

/** Cancellations made through this process, remembered so its waiting polls see them without Redis. */
const LOCAL_CANCELLED_MAX = 100_000;

/**
 * The waiting room's request logic. First requests append a ticket record
 * and answer with its place; polls answer from the in-memory offsets view
 * (no Kafka, no Redis round trip) until the ticket is admitted; admitted
 * tickets are checked once against Redis and forwarded to the coupon service.
 */
@Injectable()
export class QueueService implements OnModuleInit {
  private readonly logger = new Logger('Queue');
  private readonly cancelledHere = new Set<string>();

  constructor(
    private readonly env: Env,
    private readonly log: TicketLog,
    private readonly view: OffsetsView,
    private readonly signer: TicketSigner,
    private readonly catalog: CatalogCache,
    private readonly coupons: CouponClient,
    private readonly heartbeats: HeartbeatBuffer,
    private readonly state: TicketStateRepository,
    private readonly metrics: GatewayMetrics,
    private readonly lines: LineStateService,
    private readonly events: TicketEvents,
    private readonly cancellations: CancellationBus,
    private readonly places: PlaceRegistry,
    private readonly draws: DrawService,
    private readonly pow: ProofOfWork,
  ) {}

  onModuleInit(): void {
    // Each coupon's line topic is created as soon as the coupon is known, not at its
    // first arrival, so the admitter has it subscribed before the event starts.
    this.catalog.onNewCoupons = (codes) => {
      for (const code of codes) void this.lines.open(code);
    };
    this.log.onBatch = (size, seconds) => {
      this.metrics.produceBatchSize.observe(size);
      this.metrics.produceDuration.observe(seconds);
    };
    this.log.onBatchFailed = (size) => this.metrics.produceErrors.inc(size);
    this.view.onRefresh = (topic, v) => {
      const line = lineFromTopic(this.env.KAFKA_TOPIC_PREFIX, topic);
      if (line === undefined) return;
      this.metrics.admitted.set({ line }, v.committedTotal);
      this.metrics.lineLength.set({ line }, v.waiting);
      if (v.ratePerSec !== null) this.metrics.admissionRate.set({ line }, v.ratePerSec);
      this.lines.update(line, v);
    };
    this.events.resolveStatus = (claims) => this.statusOf(claims);
    // Every gateway's cancellations: waiting polls here answer "cancelled" at
    // once, and this gateway's streams of the ticket end.
    this.cancellations.onCancelled = (answer) => {
      this.rememberCancelled(answer.uuid);
      this.events.cancelled(answer.uuid, answer);
    };
  }

  /**
   * A first request: refuse unknown / sold-out coupons; a user who already
   * holds a live ticket for the line gets that ticket back (one place per user,
   * across gateways); else write a ticket and answer its place.
   */
  async enqueue(line: string, userId: string, altcha?: string): Promise<Waiting> {
    const coupon = this.catalog.require(line);
    if (coupon.remaining === 0) throw soldOut(line);
    const lifecycle = await this.lines.lifecycle(line);
    // A line may ask every first request for a proof of work (bots pay for each try).
    if (lifecycle.powDifficulty > 0) await this.pow.verify(line, altcha);
    // A closed line takes no new places; a user already in it keeps theirs.
    if (lineClosed(lifecycle, Date.now())) {
      const place = await this.claimPlace(line, userId);
      if (place !== null && typeof place === 'object') return place;
      if (place) await this.places.release(line, userId, place).catch(() => undefined);
      throw new DomainError(
        410,
        lifecycle.endedAt !== null ? 'LINE_ENDED' : 'LINE_CLOSED',
        lifecycle.endedAt !== null
          ? `Line ${line} has ended`
          : `Line ${line} closed to new places at ${new Date(lifecycle.closesAt!).toISOString()}`,
      );
    }
    // A scheduled line takes its first requests into its pre-queue until the draw.
    const phase = await this.draws.phase(line);
    if (phase === 'not_open') {
      const at = await this.draws.drawAt(line);
      throw new DomainError(
        409,
        'LINE_NOT_OPEN',
        `Line ${line} opens at ${at ? new Date(at).toISOString() : 'a time not set yet'}`,
      );
    }
    const pre = phase === 'prequeue';
    const topic = pre ? preQueueTopic(this.env.KAFKA_TOPIC_PREFIX, line) : this.topic(line);
    // Topic and view first: if Kafka is down we fail here, before anything is written.
    // (A pre-queue ticket's numbers come from the draw, not from the offsets view.)
    await this.kafkaReady(topic, !pre);
    const place = await this.claimPlace(line, userId);
    if (place !== null && typeof place === 'object') return place;
    let ticket: string;
    let claims: TicketClaims;
    try {
      const uuid = randomUUID();
      const record: TicketRecord = { uuid, line, userId, issuedAt: Date.now() };
      const { partition, offset } = await this.log.append({
        topic,
        key: uuid,
        value: JSON.stringify(record),
      });
      this.metrics.ticketsWritten.inc({ line });
      if (!pre) this.view.observeWrite(topic, partition, offset);
      this.heartbeats.touch(uuid);
      const mark = pre ? { pre: true as const } : {};
      ticket = await this.signer.sign({ uuid, line, partition, offset, sub: userId, ...mark });
      claims = { uuid, line, partition, offset, sub: userId, iat: 0, exp: 0, ...mark };
    } catch (error) {
      if (place) await this.places.release(line, userId, place).catch(() => undefined);
      throw error;
    }
    if (place) {
      await this.places
        .settle(line, userId, place, ticket, this.env.TICKET_TTL_SECONDS * 1000)
        .catch((error: Error) =>
          this.logger.warn(`could not record ${userId}'s place: ${error.message}`),
        );
    }
    if (pre) return { kind: 'waiting', body: { ...(await this.preNumbers(claims)), ticket } };
    return { kind: 'waiting', body: { ...this.numbers(claims, this.view.get(topic)!), ticket } };
  }

  /**
   * A ticket's place in the line. A pre-queue ticket is placed by the draw:
   * until then `waitingForDraw` is set and its numbers are the pre-queue's.
   */
  private async placed(
    claims: TicketClaims,
  ): Promise<{ claims: TicketClaims; waitingForDraw: boolean }> {
    if (!claims.pre) return { claims, waitingForDraw: false };
    const place = await this.draws.placementOf(claims.line, claims.uuid).catch(() => null);
    if (!place) return { claims, waitingForDraw: true };
    const { pre: _pre, ...rest } = claims;
    return { claims: { ...rest, ...place }, waitingForDraw: false };
  }

  /** The numbers of a pre-queue ticket before the draw: nobody is ahead or behind yet. */
  private async preNumbers(claims: TicketClaims): Promise<QueuePositionDto> {
    // Drawn already but not placed yet (it landed in flight at the switch): a few seconds.
    const drawAt = (await this.draws.drawAt(claims.line).catch(() => null)) ?? Date.now() + 6000;
    const wait = Math.max(0, drawAt - Date.now());
    return {
      uuid: claims.uuid,
      partition: claims.partition,
      offset: claims.offset,
      committedOffset: 0,
      endOffset: claims.offset + 1,
      ahead: 0,
      behind: 0,
      etaSeconds: Math.ceil(wait / 1000),
      pollAfterMs: Math.min(10_000, Math.max(1000, wait)),
      drawAt,
    };
  }

  /** The claims an event stream follows: a pre-queue ticket only once placed (poll until the draw). */
  async streamClaims(claims: TicketClaims): Promise<TicketClaims> {
    const placed = await this.placed(claims);
    if (placed.waitingForDraw) {
      const { pollAfterMs } = await this.preNumbers(claims);
      throw new DomainError(
        409,
        'NOT_PLACED_YET',
        'This pre-queue ticket has no place in the line until the draw: poll its status until then',
        { retryAfterSeconds: Math.ceil(pollAfterMs / 1000) },
      );
    }
    return placed.claims;
  }

  /**
   * The user's place in the line: their live ticket (answered as is), or a
   * claim to write a new one (its token), or null when Redis cannot tell:
   * joining then goes ahead unchecked (a second place for a repeated request is
   * a smaller harm than refusing everyone while Redis is away).
   */
  private async claimPlace(line: string, userId: string): Promise<Waiting | string | null> {
    const writer = randomUUID();
    for (let attempt = 0; ; attempt++) {
      let claim: PlaceClaim;
      try {
        claim = await this.places.claim(line, userId, writer);
      } catch (error) {
        this.logger.warn(`one-place check skipped (Redis): ${(error as Error).message}`);
        return null;
      }
      if (claim.kind === 'claimed') return claim.token;
      if (claim.kind === 'ticket') {
        const live = await this.liveTicket(claim.ticket, line, userId);
        if (live) {
          this.metrics.enqueueRepeats.inc({ line });
          return live;
        }
        const token = await this.places.takeOver(line, userId, claim.ticket, writer);
        if (token) return token;
      }
      // Another request of this user is being written right now (or won a race): look again.
      if (attempt >= PLACE_WAIT_ATTEMPTS) {
        throw new UnavailableError('Another request for this place is still being written', 1);
      }
      await new Promise((r) => setTimeout(r, PLACE_WAIT_MS));
    }
  }

  /** The ticket, with fresh numbers, if it is this user's for this line and still waiting or admitted. */
  private async liveTicket(ticket: string, line: string, userId: string): Promise<Waiting | null> {
    const claims = await this.signer.verify(ticket).catch(() => undefined);
    if (!claims || claims.line !== line || claims.sub !== userId) return null;
    const status = await this.statusOf(claims, true);
    if (!['scheduled', 'waiting', 'admitted'].includes(status.status)) return null;
    const { status: _s, line: _l, userId: _u, passExpiresAt: _p, ...numbers } = status;
    return { kind: 'waiting', body: { ...numbers, ticket } };
  }

  /** A request carrying a ticket for `line` and `userId`: still waiting (fresh numbers) or the coupon's answer. */
  async poll(token: string, line: string, userId: string): Promise<Waiting | Issued> {
    const signed = await this.signer.verify(token);
    if (signed.line !== line) throw new TicketMismatchError('coupon');
    if (signed.sub !== userId) throw new TicketMismatchError('user');
    const { claims, waitingForDraw } = await this.placed(signed);
    if (waitingForDraw) {
      this.heartbeats.touch(claims.uuid);
      if (this.cancelledHere.has(claims.uuid)) throw cancelled();
      return { kind: 'waiting', body: { ...(await this.preNumbers(claims)), ticket: token } };
    }
    const v = await this.trackedView(claims.line);
    this.heartbeats.touch(claims.uuid);
    const numbers = this.numbers(claims, v);
    if (!position(claims.offset, numbers.committedOffset, numbers.endOffset).admitted) {
      if (this.cancelledHere.has(claims.uuid)) throw cancelled();
      if (this.catalog.soldOut(line)) throw soldOut(line);
      if (!(await this.endedBeforeTurn(claims))) {
        return { kind: 'waiting', body: { ...numbers, ticket: token } };
      }
      // Admitted just before the drain (this process's offsets not refreshed yet): a pass.
    }
    const state = await this.holderState(claims);
    const status = this.admittedStatus(state);
    if (status === 'cancelled') throw cancelled();
    if (status === 'abandoned') {
      throw new DomainError(
        410,
        'TICKET_ABANDONED',
        'The ticket was skipped: its holder stopped polling',
      );
    }
    if (status === 'spent')
      throw new DomainError(410, 'TICKET_SPENT', 'This ticket was already used');
    if (status === 'expired')
      throw new DomainError(410, 'PASS_EXPIRED', 'The admission pass has expired');
    if (status === 'lost') {
      throw new DomainError(
        410,
        'TICKET_LOST',
        'The waiting room has no record of admitting this ticket (its state expired or was lost): take a new place',
      );
    }
    // Issue and cancel exclude each other: the ticket is claimed for issuing in
    // the same step that checks it was not cancelled, and a cancel is refused
    // while the claim holds.
    const claim = await this.state.claimForIssue(claims.uuid).catch((error: Error) => {
      throw new UnavailableError(`Redis is unavailable: ${error.message}`, 1);
    });
    if (claim === 'cancelled') throw cancelled();
    if (claim === 'spent') {
      throw new DomainError(410, 'TICKET_SPENT', 'This ticket was already used');
    }
    let answer: ReturnType<typeof issueResultToHttp>;
    try {
      const result = await this.coupons.issue({ code: line, userId, ticketId: claims.uuid });
      answer = issueResultToHttp(result); // throws the 409/410/404/400/503 outcomes
    } catch (error) {
      // Not issued (or not known to be): the ticket may be cancelled again. A
      // final answer (already issued, sold out) also ends its pass: it no
      // longer holds a place in the active set.
      const final = error instanceof DomainError && error.status < 500;
      await this.state.releaseIssue(claims.uuid, final ? line : undefined).catch(() => undefined);
      throw error;
    }
    await this.state.markSpent(claims.uuid, line).catch((error: Error) => {
      // The coupon is issued (PostgreSQL is the truth); a retry would answer 409, so report, don't fail.
      this.logger.warn(`could not mark ticket ${claims.uuid} spent: ${error.message}`);
    });
    return { kind: 'issued', body: answer.body };
  }

  /** The holder of a verified ticket is still there (a poll, a status read, an explicit beat). */
  heartbeat(claims: TicketClaims): void {
    this.heartbeats.touch(claims.uuid);
  }

  /**
   * A verified ticket's status and numbers: memory while waiting, one Redis
   * read once past the head. `beat`: the holder asked (GET status), so it is a heartbeat.
   */
  async statusOf(signed: TicketClaims, beat = false): Promise<TicketStatusDto> {
    const uuid = signed.uuid;
    if (beat) this.heartbeats.touch(uuid);
    const { claims, waitingForDraw } = await this.placed(signed);
    if (waitingForDraw) {
      return {
        ...(await this.preNumbers(claims)),
        line: claims.line,
        userId: claims.sub,
        passExpiresAt: null,
        status: this.cancelledHere.has(uuid) ? 'cancelled' : 'scheduled',
      };
    }
    const v = await this.trackedView(claims.line);
    const numbers = this.numbers(claims, v);
    const base = { ...numbers, line: claims.line, userId: claims.sub, passExpiresAt: null };
    if (!position(claims.offset, numbers.committedOffset, numbers.endOffset).admitted) {
      const waiting: TicketStatus = this.cancelledHere.has(uuid)
        ? 'cancelled'
        : this.catalog.soldOut(claims.line)
          ? 'sold_out'
          : 'waiting';
      if (waiting !== 'waiting' || !this.lines.endedNow(claims.line)) {
        return { ...base, status: waiting };
      }
      const state = await this.readState(uuid);
      if (state.admittedAt === undefined) {
        return { ...base, status: state.cancelled !== undefined ? 'cancelled' : 'ended' };
      }
    }
    // Only a holder who asks (beat) is back; the event hub resolving an
    // outcome for a stream is not evidence that anyone is there.
    const state = beat ? await this.holderState(claims) : await this.readState(uuid);
    return {
      ...base,
      status: this.admittedStatus(state),
      passExpiresAt:
        state.admittedAt !== undefined ? state.admittedAt + this.env.PASS_TTL_SECONDS * 1000 : null,
    };
  }

  /** DELETE /api/queue/tickets/:uuid: idempotent; a spent ticket cannot be cancelled (409). */
  async cancel(claims: TicketClaims): Promise<TicketStatusDto> {
    const uuid = claims.uuid;
    let done: Awaited<ReturnType<TicketStateRepository['cancel']>>;
    try {
      done = await this.state.cancel(uuid, claims.line);
    } catch (error) {
      throw new UnavailableError(`Redis is unavailable: ${(error as Error).message}`, 1);
    }
    if (done === 'spent') {
      throw new DomainError(409, 'TICKET_SPENT', 'A spent ticket cannot be cancelled');
    }
    if (done === 'issuing') {
      throw new DomainError(
        409,
        'TICKET_ISSUING',
        'The coupon is being issued for this ticket right now; ask again in a moment',
      );
    }
    if (!this.cancelledHere.has(uuid)) this.metrics.ticketsCancelled.inc({ line: claims.line });
    this.rememberCancelled(uuid);
    // The cancellation is done; numbers are a courtesy, so a Kafka outage does not fail it.
    const v = await this.view.track(this.topic(claims.line)).catch(() => undefined);
    const answer: TicketStatusDto = {
      ...this.numbers(claims, v),
      line: claims.line,
      userId: claims.sub,
      status: 'cancelled',
      passExpiresAt: null,
    };
    this.events.cancelled(uuid, answer);
    await this.cancellations.publish(answer).catch((error: Error) => {
      // Done in Redis: other gateways learn it at the head (the admitter skips it).
      this.logger.warn(`could not tell other gateways of cancellation ${uuid}: ${error.message}`);
    });
    return answer;
  }

  /**
   * A waiting ticket on a line that has ended (drained): throws its final
   * answer (410 LINE_ENDED, or cancelled); false when the line has not ended,
   * true when the ticket was admitted after all (the admitter wrote it before
   * the drain, and this process's offsets are a refresh behind).
   */
  private async endedBeforeTurn(claims: TicketClaims): Promise<boolean> {
    const lifecycle = await this.lines.lifecycle(claims.line);
    if (lifecycle.endedAt === null) return false;
    const state = await this.readState(claims.uuid);
    if (state.cancelled !== undefined) throw cancelled();
    if (state.admittedAt === undefined) throw lineEnded(claims.line);
    return true;
  }

  private rememberCancelled(uuid: string): void {
    if (this.cancelledHere.has(uuid)) return;
    if (this.cancelledHere.size >= LOCAL_CANCELLED_MAX) this.cancelledHere.clear();
    this.cancelledHere.add(uuid);
  }

  /**
   * The claims of the ticket `uuid` a request carries: the X-Queue-Ticket header,
   * else the browser's ticket cookie holding that ticket. 401 when there is none.
   */
  async holderFromRequest(headers: IncomingHttpHeaders, uuid: string): Promise<TicketClaims> {
    const header = headers[TICKET_HEADER];
    if (typeof header === 'string' && header !== '') return this.holderOf(header, uuid);
    for (const token of ticketCookies(headers).values()) {
      const claims = await this.signer.verify(token).catch(() => undefined);
      if (claims?.uuid === uuid) return claims;
    }
    throw new InvalidTicketError('no X-Queue-Ticket header and no ticket cookie for this ticket');
  }

  /** The browser's ticket for a line, from its cookie; 404 NO_TICKET when it has none that is valid. */
  async lineTicket(headers: IncomingHttpHeaders, line: string): Promise<TicketStatusDto> {
    const token = ticketCookies(headers).get(line);
    const claims = token ? await this.signer.verify(token).catch(() => undefined) : undefined;
    if (!claims || claims.line !== line) {
      throw new DomainError(404, 'NO_TICKET', `This browser holds no ticket for line ${line}`);
    }
    return this.statusOf(claims, true);
  }

  /** The claims of a ticket, checked to be genuine and to be the ticket `uuid`. */
  private async holderOf(token: string, uuid: string): Promise<TicketClaims> {
    const claims = await this.signer.verify(token);
    if (claims.uuid !== uuid) throw new TicketMismatchError('ticket id');
    return claims;
  }

  private admittedStatus(state: TicketState): TicketStatus {
    if (state.cancelled !== undefined || state.skipped === 'cancelled') return 'cancelled';
    if (state.skipped === 'abandoned') return 'abandoned';
    if (state.spent !== undefined) return 'spent';
    // Fail closed: the admitter records every admission in Redis before it commits past
    // it, so a ticket below the committed offset with no record was never decided here
    // (state expired or lost, topic re-created): it is not a pass.
    if (state.admittedAt === undefined) return 'lost';
    if (Date.now() >= state.admittedAt + this.env.PASS_TTL_SECONDS * 1000) return 'expired';
    return 'admitted';
  }

  /**
   * The state of a ticket past the head, read for its holder, who is here now:
   * if the ticket was skipped as abandoned within ABANDON_GRACE_SECONDS, the
   * holder was not gone after all (a gateway cut off from Redis, a long network
   * hiccup), and is admitted now instead of told 410.
   */
  private async holderState(claims: TicketClaims): Promise<TicketState> {
    const state = await this.readState(claims.uuid);
    const graceMs = this.env.ABANDON_GRACE_SECONDS * 1000;
    if (
      state.skipped !== 'abandoned' ||
      state.skippedAt === undefined ||
      Date.now() - state.skippedAt > graceMs
    ) {
      return state;
    }
    const passTtlMs = this.env.PASS_TTL_SECONDS * 1000;
    const rejoined = await this.state
      .rejoin(claims.uuid, claims.line, graceMs, passTtlMs)
      .catch(() => false);
    if (rejoined) this.metrics.ticketsRejoined.inc({ line: claims.line });
    return rejoined ? this.readState(claims.uuid) : state;
  }

  private async readState(uuid: string): Promise<TicketState> {
    try {
      return await this.state.read(uuid);
    } catch (error) {
      throw new UnavailableError(`Redis is unavailable: ${(error as Error).message}`, 1);
    }
  }

  private topic(line: string): string {
    return lineTopic(this.env.KAFKA_TOPIC_PREFIX, line);
  }

  private async kafkaReady(topic: string, tracked = true): Promise<void> {
    try {
      await this.log.ensureTopic(topic);
      if (tracked) await this.view.track(topic);
    } catch (error) {
      throw error instanceof UnavailableError
        ? error
        : new UnavailableError(`Kafka is unavailable: ${(error as Error).message}`, 2);
    }
  }

  /** The view of a ticket's line: memory, except the first time this process sees the line. */
  private async trackedView(line: string): Promise<TopicView> {
    try {
      return await this.view.track(this.topic(line));
    } catch (error) {
      throw new UnavailableError(
        `The line's offsets are not available: ${(error as Error).message}`,
        2,
      );
    }
  }

  private numbers(claims: TicketClaims, v: TopicView | undefined): QueuePositionDto {
    const p = v?.partitions[claims.partition];
    const committedOffset = p?.committedOffset ?? 0;
    // A ticket written by another gateway may be newer than this process's last refresh.
    const endOffset = Math.max(p?.endOffset ?? 0, claims.offset + 1);
    const { ahead, behind } = position(claims.offset, committedOffset, endOffset);
    const eta = etaSeconds(ahead, v?.ratePerSec ?? null, v?.partitions.length ?? 1);
    return {
      uuid: claims.uuid,
      partition: claims.partition,
      offset: claims.offset,
      committedOffset,
      endOffset,
      ahead,
      behind,
      etaSeconds: eta,
      pollAfterMs: pollAfterMs(ahead, eta),
    };
  }
}

const soldOut = (line: string) => new DomainError(410, 'SOLD_OUT', `Coupon ${line} is sold out`);
const lineEnded = (line: string) =>
  new DomainError(410, 'LINE_ENDED', `Line ${line} ended before this ticket's turn`);
const cancelled = () => new DomainError(410, 'TICKET_CANCELLED', 'The ticket was cancelled');
