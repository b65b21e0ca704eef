import { Controller, Get, OnModuleInit, Param, Req, Res } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import {
  ApiBadRequestResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { addFastPath } from '@app/common';
import { DomainError, UnavailableError } from '@app/common/errors';
import { Env } from '@app/config';
import { LINE_CODE_PATTERN } from '@app/queue';
import { DrawService } from '../draw/draw.service';
import { LineSnapshot, LineStateService } from './line-state.service';
import { ProofOfWork } from './proof-of-work';
import { DrawInfoDto, LineCodeParamDto, LineStateDto, URI_TOO_LONG_RESPONSE } from './queue.dto';

const LINE_PATH = '/api/lines/';

/**
 * The public, cacheable state of the lines: no ticket, no cookie read or set,
 * `Cache-Control: public`, a strong ETag. A line's body is a buffer
 * serialised once per change; a request copies it (or answers 304).
 *
 * The hot path skips the framework: ahead of Fastify's own request handler, a
 * plain GET /api/lines/{code} (no query, no Origin header) for a line this
 * process has is answered straight from the buffer with node:http. Fastify's
 * hooks, Nest's router and middleware and the global ValidationPipe would cost
 * several times the answer itself, and this is the one route meant to be read by
 * everyone, often. Anything else (unknown, malformed or not yet loaded code, a
 * query string, a CORS request, HEAD) goes on to Fastify and the Nest handler
 * below, which validates, loads or answers the error; that handler also
 * documents the route in OpenAPI.
 */
@ApiTags('lines')
@Controller('api/lines')
export class LinesController implements OnModuleInit {
  private readonly cacheControl: string;

  constructor(
    private readonly lines: LineStateService,
    private readonly adapter: HttpAdapterHost,
    env: Env,
    private readonly draws: DrawService,
    private readonly pow: ProofOfWork,
  ) {
    this.cacheControl = `public, max-age=${env.LINE_STATE_MAX_AGE_SECONDS}`;
  }

  onModuleInit(): void {
    addFastPath(this.adapter, (req, res) => this.fastPath(req, res));
  }

  /** Answers a plain GET of a loaded line's state; false when the framework should. */
  private fastPath(req: IncomingMessage, res: ServerResponse): boolean {
    const url = req.url;
    if (req.method !== 'GET' || !url?.startsWith(LINE_PATH) || req.headers.origin) return false;
    const code = url.slice(LINE_PATH.length);
    if (!LINE_CODE_PATTERN.test(code)) return false;
    const snapshot = this.lines.get(code);
    if (!snapshot) return false;
    if (req.headers['if-none-match'] === snapshot.etag) {
      res.writeHead(304, { 'cache-control': this.cacheControl, etag: snapshot.etag });
      res.end();
      return true;
    }
    res.writeHead(200, {
      'cache-control': this.cacheControl,
      etag: snapshot.etag,
      'content-type': 'application/json; charset=utf-8',
      'content-length': snapshot.body.length,
    });
    res.end(snapshot.body);
    return true;
  }

  @Get()
  @ApiOperation({ summary: "Every line's public state (the waiting page's list)" })
  @ApiOkResponse({ type: [LineStateDto] })
  list(@Res() reply: FastifyReply): void {
    const body = Buffer.concat([
      Buffer.from('['),
      ...this.lines.list().flatMap((s, i) => (i === 0 ? [s.body] : [Buffer.from(','), s.body])),
      Buffer.from(']'),
    ]);
    void reply
      .header('Cache-Control', this.cacheControl)
      .header('Content-Type', 'application/json; charset=utf-8')
      .send(body);
  }

  @Get(':code')
  @ApiOperation({
    summary: "A line's public state: per-partition committed and end offsets, rate, stock, state",
    description:
      'A client computes its own place from this and its ticket: ahead = max(0, offset - ' +
      'partitions[partition].committedOffset). Cacheable (Cache-Control: public, ETag); see docs/waiting-page.md.',
  })
  @ApiOkResponse({ type: LineStateDto })
  @ApiResponse({ status: 304, description: 'If-None-Match matched the current ETag' })
  @ApiBadRequestResponse({ description: 'VALIDATION_FAILED: not a valid line code' })
  @ApiNotFoundResponse({ description: 'UNKNOWN_COUPON' })
  @ApiResponse(URI_TOO_LONG_RESPONSE)
  async get(
    @Param() { code }: LineCodeParamDto,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    this.answer(req, reply, this.lines.get(code) ?? (await this.lines.require(code)));
  }

  @Get(':code/draw')
  @ApiOperation({
    summary: "A scheduled line's pre-queue draw: the seed's commitment before, the seed after",
    description:
      'Before the opening: commitment = SHA-256 of a secret 32-byte seed. At the opening the pre-queue is ' +
      'placed in the line in the order drawOrder(seed, entrants) (libs/queue/src/draw.ts), and the seed is ' +
      'published here, so anyone can check SHA-256(seed) = commitment and re-run the draw from Kafka ' +
      '(npm run audit:draw -- CODE).',
  })
  @ApiOkResponse({ type: DrawInfoDto })
  @ApiBadRequestResponse({ description: 'VALIDATION_FAILED: not a valid line code' })
  @ApiNotFoundResponse({ description: 'NOT_SCHEDULED: the line was never scheduled' })
  @ApiResponse(URI_TOO_LONG_RESPONSE)
  async draw(@Param() { code }: LineCodeParamDto): Promise<DrawInfoDto> {
    const info = await this.draws.info(code).catch((error: Error) => {
      throw new UnavailableError(`Redis is unavailable: ${error.message}`, 1);
    });
    if (!info) throw new DomainError(404, 'NOT_SCHEDULED', `Line ${code} was never scheduled`);
    return info;
  }

  @Get(':code/challenge')
  @ApiOperation({
    summary: 'A proof-of-work challenge for joining the line (ALTCHA), when the line asks for one',
    description:
      "The ALTCHA widget's challenge URL. Solve it (altcha-lib's solveChallenge, or the widget) and send the " +
      'base64 payload as "altcha" in the first request\'s body. Each challenge is for this line, expires ' +
      'after 5 minutes and is accepted once.',
  })
  @ApiOkResponse({
    description: 'An ALTCHA v2 challenge: {parameters, signature}',
    schema: { type: 'object', additionalProperties: true },
  })
  @ApiBadRequestResponse({ description: 'VALIDATION_FAILED: not a valid line code' })
  @ApiNotFoundResponse({
    description: 'UNKNOWN_COUPON: no such line; NO_PROOF_OF_WORK: the line asks for none',
  })
  @ApiResponse(URI_TOO_LONG_RESPONSE)
  async challenge(
    @Param() { code }: LineCodeParamDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<object> {
    await this.lines.require(code);
    const { powDifficulty } = await this.lines.lifecycle(code);
    if (powDifficulty <= 0) {
      throw new DomainError(404, 'NO_PROOF_OF_WORK', `Line ${code} asks for no proof of work`);
    }
    reply.header('Cache-Control', 'no-store');
    return this.pow.challenge(code, powDifficulty);
  }

  private answer(req: FastifyRequest, reply: FastifyReply, snapshot: LineSnapshot): void {
    reply.header('Cache-Control', this.cacheControl).header('ETag', snapshot.etag);
    if (req.headers['if-none-match'] === snapshot.etag) {
      void reply.status(304).send();
      return;
    }
    void reply.header('Content-Type', 'application/json; charset=utf-8').send(snapshot.body);
  }
}
