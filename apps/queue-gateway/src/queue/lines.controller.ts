import { Controller, Get, Param, Req, Res } from '@nestjs/common';
import {
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Env } from '@app/config';
import { LineStateService } from './line-state.service';
import { LineCodeParamDto, LineStateDto } from './queue.dto';

/**
 * The public, cacheable state of the lines: no ticket, no cookie read or set,
 * `Cache-Control: public`, a strong ETag. A line's body is a buffer
 * serialised once per change; a request copies it (or answers 304).
 */
@ApiTags('lines')
@Controller('api/lines')
export class LinesController {
  private readonly cacheControl: string;

  constructor(
    private readonly lines: LineStateService,
    env: Env,
  ) {
    this.cacheControl = `public, max-age=${env.LINE_STATE_MAX_AGE_SECONDS}`;
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
  @ApiNotFoundResponse({ description: 'UNKNOWN_COUPON' })
  async get(
    @Param() { code }: LineCodeParamDto,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const snapshot = this.lines.get(code) ?? (await this.lines.require(code));
    reply.header('Cache-Control', this.cacheControl).header('ETag', snapshot.etag);
    if (req.headers['if-none-match'] === snapshot.etag) {
      void reply.status(304).send();
      return;
    }
    void reply.header('Content-Type', 'application/json; charset=utf-8').send(snapshot.body);
  }
}
