import { Injectable, OnModuleInit, ValidationPipe } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { addFastPath, createValidationPipe, DomainError, GlobalExceptionFilter } from '@app/common';
import { Env } from '@app/config';
import { USER_ID_MAX_LENGTH, USER_ID_PATTERN } from '@app/contracts';
import { LINE_CODE_PATTERN } from '@app/queue';
import { IdentityService } from '../identity/identity.service';
import { allowList } from './client-throttler.guard';
import { GatewayMetrics } from './gateway-metrics';
import { IssueRequestDto } from './queue.dto';
import { QueueService, waitingHeaders } from './queue.service';

const PREFIX = '/api/coupons/';
const SUFFIX = '/issue';
/** The framework's body limit (libs/common/src/http-app.ts). */
const BODY_LIMIT = 16 * 1024;
const JSON_TYPES = new Set(['application/json', 'application/json; charset=utf-8']);
const PAYLOAD_MAX = 4096;

const invalidJson = () =>
  new DomainError(
    400,
    'BAD_REQUEST',
    "Body is not valid JSON but content-type is set to 'application/json'",
  );

/**
 * The waiting room's two hot requests, answered from node:http: `POST
 * /api/coupons/{code}/issue` from an API client, with an `X-Queue-Ticket` header
 * (a poll: every waiter, every few seconds) or without one (a first request: the
 * spike). The framework's pipeline (Fastify's hooks and body parsing, Nest's
 * router, guards, the class-validator pipe) cost more than a poll itself: the
 * profile of a poll run showed Nest and Fastify in about 40% of the gateway's
 * busy time and the poll's own work (ticket check, numbers, JSON) under 10%.
 *
 * It answers exactly as the Nest route (IssueController.issue) does, through the
 * same QueueService.poll / enqueue, the same identity check, the same exception
 * filter and the same validation pipe for any body that is not a plain
 * `{"userId"}`. Left to the framework (nothing read): browsers (Sec-Fetch-*,
 * Origin: cookies, CORS, form navigations) and any request carrying a cookie, a
 * request through a proxy (X-Forwarded-For) or from a client the rate limiter
 * counts, other content types, no or an oversized Content-Length, chunked bodies.
 */
@Injectable()
export class IssueFastPath implements OnModuleInit {
  private readonly exempt: Set<string>;
  private readonly pollsLimited: boolean;
  private readonly joinsLimited: boolean;
  private readonly pipe: ValidationPipe = createValidationPipe();
  private readonly errors = new GlobalExceptionFilter();

  constructor(
    private readonly adapter: HttpAdapterHost,
    private readonly queue: QueueService,
    private readonly metrics: GatewayMetrics,
    private readonly identity: IdentityService,
    env: Env,
  ) {
    this.exempt = allowList(env);
    this.pollsLimited = env.RATE_LIMIT_POLLS_PER_MINUTE > 0;
    this.joinsLimited = env.RATE_LIMIT_JOINS_PER_MINUTE > 0;
  }

  onModuleInit(): void {
    addFastPath(this.adapter, (req, res) => this.take(req, res));
  }

  /** True when this request is a plain API poll or first request (then it is answered here). */
  take(req: IncomingMessage, res: ServerResponse): boolean {
    const url = req.url;
    if (req.method !== 'POST' || !url?.startsWith(PREFIX) || !url.endsWith(SUFFIX)) return false;
    const code = url.slice(PREFIX.length, url.length - SUFFIX.length);
    if (!LINE_CODE_PATTERN.test(code)) return false;
    const h = req.headers;
    const header = h['x-queue-ticket'];
    // An empty header is no ticket to the route either (and a cookie may carry one).
    const ticket = typeof header === 'string' && header !== '' ? header : undefined;
    if (header !== undefined && ticket === undefined) return false;
    if (h.cookie !== undefined) return false;
    if (h.origin !== undefined || h['sec-fetch-mode'] !== undefined) return false;
    if (h['sec-fetch-site'] !== undefined || h['x-forwarded-for'] !== undefined) return false;
    if (!JSON_TYPES.has(h['content-type'] ?? '') || h['transfer-encoding'] !== undefined) {
      return false;
    }
    const length = Number(h['content-length']);
    if (!(length > 0 && length <= BODY_LIMIT)) return false;
    const limited = ticket ? this.pollsLimited : this.joinsLimited;
    if (limited && !this.exempt.has(req.socket.remoteAddress ?? '')) return false;
    void this.serve(code, ticket, length, req, res);
    return true;
  }

  private async serve(
    code: string,
    ticket: string | undefined,
    length: number,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    const end = this.metrics.requestDuration.startTimer({ kind: ticket ? 'poll' : 'enqueue' });
    try {
      const { userId, altcha } = await this.body(await readBody(req, length));
      const result = ticket
        ? await this.queue.poll(ticket, code, userId)
        : await this.queue.enqueue(code, await this.identity.userOf(req.headers, userId), altcha);
      if (result.kind === 'issued') {
        send(res, 201, JSON.stringify(result.body));
        return;
      }
      send(res, 307, JSON.stringify(result.body), waitingHeaders(result.body));
    } catch (error) {
      const { body, retryAfter } = this.errors.toBody(error);
      send(
        res,
        body.statusCode,
        JSON.stringify(body),
        retryAfter !== undefined ? { 'retry-after': String(retryAfter) } : {},
      );
    } finally {
      end();
    }
  }

  /** The body: a plain `{"userId"}` (and altcha) checked here, anything else by the global pipe. */
  private async body(raw: string): Promise<IssueRequestDto> {
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      throw invalidJson();
    }
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      return this.validated(body);
    }
    const fields = body as Record<string, unknown>;
    // Fastify refuses these keys as a prototype-poisoning attempt; so does this path.
    if (Object.hasOwn(fields, '__proto__') || Object.hasOwn(fields, 'constructor')) {
      throw invalidJson();
    }
    const keys = Object.keys(fields);
    const { userId, altcha } = fields;
    const plain =
      keys.every((k) => k === 'userId' || k === 'altcha') &&
      typeof userId === 'string' &&
      userId.length >= 1 &&
      userId.length <= USER_ID_MAX_LENGTH &&
      USER_ID_PATTERN.test(userId) &&
      (altcha === undefined || (typeof altcha === 'string' && altcha.length <= PAYLOAD_MAX));
    return plain
      ? { userId: userId as string, altcha: altcha as string | undefined }
      : this.validated(body);
  }

  /** The global ValidationPipe on the route's DTO: the same 400 the framework route answers. */
  private async validated(body: unknown): Promise<IssueRequestDto> {
    return (await this.pipe.transform(body, {
      type: 'body',
      metatype: IssueRequestDto,
    })) as IssueRequestDto;
  }
}

/** The body, at most `length` bytes (its Content-Length). */
function readBody(req: IncomingMessage, length: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > length) {
        req.destroy();
        reject(new DomainError(400, 'BAD_REQUEST', 'The body is longer than its Content-Length'));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks, size).toString('utf8')));
    req.on('error', reject);
  });
}

function send(
  res: ServerResponse,
  status: number,
  json: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(json),
  });
  res.end(json);
}
