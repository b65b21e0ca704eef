import {
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  Param,
  Post,
  Put,
  UseGuards,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import Redis from 'ioredis';
import { DomainError, UnavailableError } from '@app/common';
import { Env } from '@app/config';
import { KafkaClient, OffsetsView } from '@app/kafka';
import {
  LineLifecycle,
  lineTopic,
  readJoinRules,
  readLineLifecycle,
  readLineSettings,
  RedisKeys,
} from '@app/queue';
import { REDIS } from '@app/redis';
import { auditLine } from '../audit/line-audit';
import { DrawService } from '../draw/draw.service';
import { CatalogCache } from '../catalog/catalog-cache';
import { LineStateService } from '../queue/line-state.service';
import {
  LineCodeParamDto,
  PAYLOAD_TOO_LARGE_RESPONSE,
  URI_TOO_LONG_RESPONSE,
} from '../queue/queue.dto';
import { AdminTokenGuard } from './admin-token.guard';
import { LineAuditDto, LineReportDto, LineSettingsPatchDto } from './admin.dto';

const SETTINGS_FIELDS = ['ratePerSec', 'burst', 'maxActive', 'powDifficulty'] as const;

@ApiTags('admin')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ description: 'Missing or wrong bearer token' })
@ApiBadRequestResponse({ description: 'VALIDATION_FAILED: not a valid line code' })
@ApiResponse(URI_TOO_LONG_RESPONSE)
@UseGuards(AdminTokenGuard)
@Controller('api/admin/lines')
export class AdminController {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly view: OffsetsView,
    private readonly env: Env,
    private readonly lines: LineStateService,
    private readonly draws: DrawService,
    private readonly kafka: KafkaClient,
    private readonly catalog: CatalogCache,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Every catalogued line with its settings, state and Kafka numbers' })
  @ApiOkResponse({ type: [LineReportDto] })
  async list(): Promise<LineReportDto[]> {
    return Promise.all(this.catalog.codes().map((code) => this.report(code)));
  }

  @Put(':code')
  @ApiOperation({
    summary: "Change a line's admission settings (the admitter applies them without a restart)",
  })
  @ApiOkResponse({ type: LineReportDto })
  @ApiBadRequestResponse({ description: 'VALIDATION_FAILED: invalid line code or settings' })
  @ApiConflictResponse({
    description:
      'ALREADY_DRAWN: a line that has opened cannot be rescheduled; NOT_SCHEDULED: preQueue alone on a line never scheduled',
  })
  @ApiResponse(PAYLOAD_TOO_LARGE_RESPONSE)
  async update(
    @Param() { code }: LineCodeParamDto,
    @Body() patch: LineSettingsPatchDto,
  ): Promise<LineReportDto> {
    const lifecycle = await this.lifecycleOf(code);
    if (lifecycle.endedAt !== null) throw ended(code);
    const closesAt = patch.closesAt !== undefined ? Date.parse(patch.closesAt) : undefined;
    const closing = closesAt ?? lifecycle.closesAt;
    if (closing !== null && (closesAt !== undefined || patch.opensAt !== undefined)) {
      const opensAt =
        patch.opensAt !== undefined
          ? Date.parse(patch.opensAt)
          : (await this.redisCall(() => this.draws.info(code)))?.opensAt;
      if (opensAt !== undefined && closing <= opensAt) {
        throw new DomainError(
          400,
          'VALIDATION_FAILED',
          `closesAt must be after opensAt (${new Date(opensAt).toISOString()})`,
        );
      }
    }
    const fields: Record<string, number> = Object.fromEntries(
      SETTINGS_FIELDS.filter((f) => patch[f] !== undefined && patch[f] !== null).map((f) => [
        f,
        patch[f]!,
      ]),
    );
    if (patch.preQueue !== undefined && patch.opensAt === undefined) {
      await this.redisCall(() => this.draws.setPreQueue(code, patch.preQueue!));
    }
    if (closesAt !== undefined) fields.closesAt = closesAt;
    if (
      Object.keys(fields).length === 0 &&
      patch.opensAt === undefined &&
      patch.preQueue === undefined
    ) {
      throw new DomainError(
        400,
        'VALIDATION_FAILED',
        'Give at least one of ratePerSec, burst, maxActive, powDifficulty, opensAt, closesAt, preQueue',
      );
    }
    if (patch.opensAt !== undefined) {
      await this.redisCall(() =>
        this.draws.schedule(code, Date.parse(patch.opensAt!), patch.preQueue ?? true),
      );
    }
    if (Object.keys(fields).length > 0) {
      await this.redisCall(() => this.redis.hset(RedisKeys.lineSettings(code), fields));
    }
    // This process's public line state shows a pause or a new rate at once; others within a second.
    if (fields.ratePerSec !== undefined) this.lines.setConfiguredRate(code, fields.ratePerSec);
    if (closesAt !== undefined) this.lines.setLifecycle(code, { closesAt });
    if (fields.powDifficulty !== undefined) {
      this.lines.setLifecycle(code, { powDifficulty: fields.powDifficulty });
    }
    return this.report(code);
  }

  @Post(':code/close')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Close a line to new places now (410 LINE_CLOSED); those in line keep their places',
    description:
      'Idempotent: an earlier closesAt stands. Every gateway refuses new places within 250 ms. ' +
      'The line is `ended` once nobody is left waiting.',
  })
  @ApiOkResponse({ type: LineReportDto })
  @ApiConflictResponse({ description: 'LINE_ENDED: the line has ended already' })
  @ApiNotFoundResponse({ description: 'UNKNOWN_COUPON: no such coupon' })
  async close(@Param() { code }: LineCodeParamDto): Promise<LineReportDto> {
    this.catalog.require(code);
    const lifecycle = await this.lifecycleOf(code);
    if (lifecycle.endedAt !== null) throw ended(code);
    const closesAt = Math.min(lifecycle.closesAt ?? Infinity, Date.now());
    await this.redisCall(() => this.redis.hset(RedisKeys.lineSettings(code), { closesAt }));
    this.lines.setLifecycle(code, { closesAt });
    return this.report(code);
  }

  @Post(':code/drain')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'End a line: closed, nobody more admitted, every ticket still waiting told 410 LINE_ENDED',
    description:
      'Idempotent and final. Passes admitted before the drain still issue. The admitter stops at its next ' +
      "decision (atomic with it in Redis). The line's Redis keys expire TICKET_STATE_TTL (7 days) after its " +
      'last decision; its settings stay as the tombstone that keeps the code ended.',
  })
  @ApiOkResponse({ type: LineReportDto })
  @ApiNotFoundResponse({ description: 'UNKNOWN_COUPON: no such coupon' })
  async drain(@Param() { code }: LineCodeParamDto): Promise<LineReportDto> {
    this.catalog.require(code);
    const now = Date.now();
    // HSETNX: a second drain keeps the first one's time.
    await this.redisCall(() =>
      this.redis
        .multi()
        .hsetnx(RedisKeys.lineSettings(code), 'endedAt', now)
        .hsetnx(RedisKeys.lineSettings(code), 'closesAt', now)
        .exec(),
    );
    const lifecycle = await this.lifecycleOf(code);
    if (lifecycle.closesAt !== null && lifecycle.closesAt > (lifecycle.endedAt ?? now)) {
      await this.redisCall(() =>
        this.redis.hset(RedisKeys.lineSettings(code), { closesAt: lifecycle.endedAt }),
      );
      lifecycle.closesAt = lifecycle.endedAt;
    }
    this.lines.setLifecycle(code, lifecycle);
    return this.report(code);
  }

  @Get(':code/audit')
  @ApiOperation({
    summary:
      "The line's fairness audit: replayed from Kafka and the admission log (reads the whole topic)",
    description:
      'Tickets written, admitted in order, admitted out of order and twice (both must be 0), rejoined, ' +
      'skipped (cancelled, abandoned), undecided, issued, the largest wait. The same as npm run audit -- CODE.',
  })
  @ApiOkResponse({ type: LineAuditDto })
  async audit(@Param() { code }: LineCodeParamDto): Promise<LineAuditDto> {
    return this.redisCall(() =>
      auditLine(this.kafka, this.redis, this.env.KAFKA_TOPIC_PREFIX, code),
    );
  }

  @Get(':code')
  @ApiOperation({ summary: "A line's settings, Kafka numbers and admitter stats" })
  @ApiOkResponse({ type: LineReportDto })
  get(@Param() { code }: LineCodeParamDto): Promise<LineReportDto> {
    return this.report(code);
  }

  private async report(line: string): Promise<LineReportDto> {
    const [rawSettings, stats] = await this.redisCall(() =>
      Promise.all([
        this.redis.hgetall(RedisKeys.lineSettings(line)),
        this.redis.hgetall(RedisKeys.lineStats(line)),
      ]),
    );
    const { settings, overrides } = readLineSettings(rawSettings, this.env);
    const { powDifficulty, ...lifecycle } = readJoinRules(rawSettings);
    // A line nobody queued in yet has no topic: report zeros rather than fail.
    const v = await this.view
      .trackIfExists(lineTopic(this.env.KAFKA_TOPIC_PREFIX, line))
      .catch(() => undefined);
    const state = (await this.lines.require(line).catch(() => undefined))?.state.state;
    return {
      line,
      state: state ?? (lifecycle.endedAt !== null ? 'ended' : 'open'),
      ...lifecycle,
      powDifficulty,
      settings,
      overrides,
      partitions: (v?.partitions ?? []).map((p, partition) => ({ partition, ...p })),
      waiting: v?.waiting ?? 0,
      admitted: v?.committedTotal ?? 0,
      ratePerSec: v?.ratePerSec ?? null,
      stats,
      draw: (await this.draws.info(line).catch(() => null)) as Record<string, unknown> | null,
    };
  }

  private async lifecycleOf(line: string): Promise<LineLifecycle> {
    const [closesAt, endedAt] = await this.redisCall(() =>
      this.redis.hmget(RedisKeys.lineSettings(line), 'closesAt', 'endedAt'),
    );
    return readLineLifecycle({ closesAt, endedAt });
  }

  private async redisCall<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof DomainError) throw error;
      throw new UnavailableError(`Redis is unavailable: ${(error as Error).message}`, 1);
    }
  }
}

const ended = (line: string) =>
  new DomainError(409, 'LINE_ENDED', `Line ${line} has ended; an ended line cannot change`);
