import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsBoolean,
  IsInt,
  IsNumber,
  IsString,
  Matches,
  Max,
  Min,
  Validate,
  ValidateIf,
  ValidatorConstraint,
  ValidatorConstraintInterface,
} from 'class-validator';
import { ApiRequestBodySchema } from '../queue/queue.dto';

/** JSON Schema's `date-time` (RFC 3339 section 5.6). */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

@ValidatorConstraint({ name: 'parsesAsDate' })
class ParsesAsDate implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    if (typeof value !== 'string' || !Number.isFinite(Date.parse(value))) return false;
    // Date.parse rolls 2026-02-30 over into March: the day must exist in its month.
    const [y, m, d] = value.slice(0, 10).split('-').map(Number) as [number, number, number];
    return m >= 1 && m <= 12 && d >= 1 && d <= new Date(Date.UTC(y, m, 0)).getUTCDate();
  }
  defaultMessage(): string {
    return '$property is not a real date and time';
  }
}

/** Optional, but not nullable: null would be stored as "" and read back as 0. */
const IfPresent = () => ValidateIf((_dto: object, value: unknown) => value !== undefined);

@ApiRequestBodySchema({
  description: 'At least one of the fields; those left out keep their current value',
  minProperties: 1,
})
export class LineSettingsPatchDto {
  @ApiPropertyOptional({
    example: 50,
    minimum: 0,
    maximum: 1_000_000,
    description:
      'Admissions per second (token bucket refill); 0 pauses the line (skips still advance)',
  })
  @IfPresent()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1_000_000)
  ratePerSec?: number;

  @ApiPropertyOptional({
    type: 'integer',
    example: 50,
    minimum: 1,
    maximum: 1_000_000,
    description: 'Token bucket size',
  })
  @IfPresent()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  burst?: number;

  @ApiPropertyOptional({
    type: 'integer',
    example: 0,
    minimum: 0,
    maximum: 10_000_000,
    description: 'Most admitted, unspent passes at once; 0 = no cap',
  })
  @IfPresent()
  @IsInt()
  @Min(0)
  @Max(10_000_000)
  maxActive?: number;

  @ApiPropertyOptional({
    format: 'date-time',
    example: '2026-11-23T15:00:00Z',
    description:
      'Schedule the line: it opens (and its pre-queue is drawn) at this time. The seed is committed to at once ' +
      '(GET /api/lines/{code}/draw). A line that has drawn already cannot be rescheduled (409)',
  })
  @IfPresent()
  @IsString()
  @Matches(RFC3339, { message: 'opensAt must be an RFC 3339 date-time, e.g. 2026-11-23T15:00:00Z' })
  @Validate(ParsesAsDate)
  opensAt?: string;

  @ApiPropertyOptional({
    type: 'integer',
    example: 5000,
    minimum: 0,
    maximum: 1_000_000,
    description:
      'Proof of work on joining (ALTCHA): the highest counter a challenge hides; a client tries about 3/4 of ' +
      'it in PBKDF2-SHA-256 derivations of 1,000 iterations (5000: about a second of one core). 0 = off (default)',
  })
  @IfPresent()
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  powDifficulty?: number;

  @ApiPropertyOptional({
    format: 'date-time',
    example: '2026-11-23T16:00:00Z',
    description:
      'Close the line to new places at this time (a past time closes it now); those in line keep their ' +
      'places and are admitted in turn. Must be after opensAt. A later time reopens a closed line; ' +
      'an ended line cannot change (409 LINE_ENDED)',
  })
  @IfPresent()
  @IsString()
  @Matches(RFC3339, {
    message: 'closesAt must be an RFC 3339 date-time, e.g. 2026-11-23T16:00:00Z',
  })
  @Validate(ParsesAsDate)
  closesAt?: string;

  @ApiPropertyOptional({
    example: true,
    description:
      'Take first requests before the opening into a pre-queue, placed by a random draw at the opening ' +
      '(default true with opensAt); false refuses them (409 LINE_NOT_OPEN) until then. Alone, it changes a ' +
      'scheduled line (409 NOT_SCHEDULED otherwise)',
  })
  @IfPresent()
  @IsBoolean()
  preQueue?: boolean;
}

export class LineSettingsDto {
  @ApiProperty() ratePerSec: number;
  @ApiProperty() burst: number;
  @ApiProperty() maxActive: number;
}

export class LinePartitionDto {
  @ApiProperty() partition: number;
  @ApiProperty() endOffset: number;
  @ApiProperty() committedOffset: number;
}

export class LineReportDto {
  @ApiProperty({ example: 'A0001' }) line: string;
  @ApiProperty({
    enum: ['scheduled', 'open', 'paused', 'closed', 'ended', 'sold_out'],
    description: "The line's public state (as GET /api/lines/{code})",
  })
  state: string;
  @ApiProperty({ nullable: true, type: Number, description: 'Epoch ms: closes to new places' })
  closesAt: number | null;
  @ApiProperty({ nullable: true, type: Number, description: 'Epoch ms: drained, final' })
  endedAt: number | null;
  @ApiProperty({ description: 'Proof-of-work difficulty of a first request; 0 = none' })
  powDifficulty: number;
  @ApiProperty({
    type: LineSettingsDto,
    description: 'Effective settings (overrides over the env defaults)',
  })
  settings: LineSettingsDto;
  @ApiProperty({
    description: 'The overrides stored in Redis',
    type: 'object',
    additionalProperties: { type: 'number' },
  })
  overrides: Record<string, number>;
  @ApiProperty({ type: [LinePartitionDto] }) partitions: LinePartitionDto[];
  @ApiProperty({ description: 'Tickets not yet admitted' }) waiting: number;
  @ApiProperty({ description: 'Tickets admitted (or skipped) so far' }) admitted: number;
  @ApiProperty({ nullable: true, type: Number, description: 'Measured admissions per second' })
  ratePerSec: number | null;
  @ApiProperty({
    description: 'The admitter stats hash',
    type: 'object',
    additionalProperties: { type: 'string' },
  })
  stats: Record<string, string>;
  @ApiPropertyOptional({
    nullable: true,
    type: 'object',
    additionalProperties: true,
    description:
      'The schedule and pre-queue draw, when the line was scheduled (as GET /api/lines/{code}/draw)',
  })
  draw?: Record<string, unknown> | null;
}

export class LineAuditDto {
  @ApiProperty({ example: 'A0001' }) line: string;
  @ApiProperty({ description: 'Ticket records in the line topic' }) written: number;
  @ApiProperty({ description: 'Admitted in turn (the admission log)' }) admitted: number;
  @ApiProperty({ description: 'Holders skipped as abandoned, admitted on their return' })
  rejoined: number;
  @ApiProperty() skippedCancelled: number;
  @ApiProperty() skippedAbandoned: number;
  @ApiProperty({ description: 'Neither admitted nor skipped yet' }) undecided: number;
  @ApiProperty({ description: 'Admitted before an earlier ticket: must be 0' }) outOfOrder: number;
  @ApiProperty({ description: 'Admitted twice: must be 0' }) admittedTwice: number;
  @ApiProperty({ description: 'Passes spent on an issued coupon' }) issued: number;
  @ApiProperty({ description: 'Longest time from record to admission, ms' }) largestWaitMs: number;
  @ApiProperty({
    description: 'The admission log was trimmed; its oldest entries were not checked',
  })
  logTrimmed: boolean;
}
