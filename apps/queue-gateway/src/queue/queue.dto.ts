import {
  ApiProperty,
  ApiPropertyOptional,
  ApiSchema,
  ApiSchemaOptions,
  SchemaObject,
} from '@nestjs/swagger';
import { IsString, IsUUID, Length, Matches, MaxLength, ValidateIf } from 'class-validator';
import { USER_ID_MAX_LENGTH, USER_ID_PATTERN } from '@app/contracts';
import { LINE_CODE_PATTERN } from '@app/queue';

/**
 * A request body's schema: the global ValidationPipe refuses any field its DTO does not
 * declare (forbidNonWhitelisted), so the document says `additionalProperties: false`.
 * (@ApiSchema copies every option but `name` into the component schema; its type only
 * names `description`.)
 */
export const ApiRequestBodySchema = (
  extra: Pick<SchemaObject, 'description' | 'minProperties'> = {},
): ClassDecorator => ApiSchema({ additionalProperties: false, ...extra } as ApiSchemaOptions);

/**
 * Answers Fastify gives before a route's handler runs (so no validation message): a path
 * parameter longer than its maxParamLength (100) is 414, a body over the app's bodyLimit
 * (16 KiB) is 413. For `@ApiResponse` on the operations they apply to.
 */
export const URI_TOO_LONG_RESPONSE = {
  status: 414,
  description: 'A path parameter longer than 100 characters',
};
export const PAYLOAD_TOO_LARGE_RESPONSE = {
  status: 413,
  description: 'A body larger than 16 KiB',
};

/**
 * USER_ID_PATTERN for the document: \p{Cc} spelled out (not every regex engine knows
 * \p{...}), the length left to minLength/maxLength (which count code points everywhere).
 * Lone surrogates (\p{Cs}) cannot be written in a JSON Schema pattern portably; the
 * server refuses them (400).
 */
export const USER_ID_SCHEMA_PATTERN = '^[^\\u0000-\\u001F\\u007F-\\u009F]+$';

/** What @IsUUID('4') accepts. */
const UUID_V4_PATTERN =
  '^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-4[0-9A-Fa-f]{3}-[89ABab][0-9A-Fa-f]{3}-[0-9A-Fa-f]{12}$';

export class LineCodeParamDto {
  @ApiProperty({ example: 'A0001', pattern: LINE_CODE_PATTERN.source })
  @IsString()
  @Matches(LINE_CODE_PATTERN, { message: 'code must be 1-32 letters, digits, "_" or "-"' })
  code: string;
}

export class TicketUuidParamDto {
  @ApiProperty({ format: 'uuid', pattern: UUID_V4_PATTERN, description: 'A UUID v4' })
  @IsUUID('4', { message: 'uuid must be a UUID v4' })
  uuid: string;
}

@ApiRequestBodySchema()
export class IssueRequestDto {
  @ApiProperty({
    minLength: 1,
    maxLength: USER_ID_MAX_LENGTH,
    pattern: USER_ID_SCHEMA_PATTERN,
    example: 'alice',
    description: 'No control characters',
  })
  @IsString()
  @Length(1, USER_ID_MAX_LENGTH, { message: `userId must be 1-${USER_ID_MAX_LENGTH} characters` })
  @Matches(USER_ID_PATTERN, {
    message: 'userId must not contain control characters or lone surrogates',
  })
  userId: string;

  @ApiPropertyOptional({
    maxLength: 4096,
    description:
      'A first request on a line that asks for a proof of work (its state has powDifficulty > 0): the ' +
      'solved ALTCHA payload (base64) of a challenge from GET /api/lines/{code}/challenge',
  })
  // Optional but not nullable (null is not a payload: 400, as the document says).
  @ValidateIf((_dto: object, value: unknown) => value !== undefined)
  @IsString()
  @MaxLength(4096)
  altcha?: string;
}

/** A waiting ticket's place in line, in Kafka's own numbers (the 307 body). */
export class QueuePositionDto {
  @ApiProperty({ format: 'uuid', description: 'The ticket id (also the Kafka record key)' })
  uuid: string;
  @ApiProperty({ example: 0, description: 'Kafka partition of the ticket record' })
  partition: number;
  @ApiProperty({ example: 1234, description: 'Offset of the ticket record in its partition' })
  offset: number;
  @ApiProperty({
    example: 1200,
    description: "The admitter group's committed offset: next offset to admit",
  })
  committedOffset: number;
  @ApiProperty({
    example: 5000,
    description: "The partition's log-end offset: next offset to be written",
  })
  endOffset: number;
  @ApiProperty({
    example: 34,
    description:
      'Tickets before this one in its own partition not admitted yet: max(0, offset - committedOffset), ' +
      'skipped ones (cancelled, abandoned) included until the admitter passes them. A line with P partitions ' +
      'has about ahead x P people ahead in all (batches go round robin); etaSeconds counts that way.',
  })
  ahead: number;
  @ApiProperty({ example: 3765, description: 'max(0, endOffset - offset - 1)' })
  behind: number;
  @ApiProperty({
    example: 7,
    nullable: true,
    type: Number,
    description: 'Seconds to admission at the measured rate',
  })
  etaSeconds: number | null;
  @ApiProperty({
    example: 1750,
    description: 'Poll again after this many milliseconds (also Retry-After)',
  })
  pollAfterMs: number;
  @ApiPropertyOptional({
    nullable: true,
    type: Number,
    description:
      'A pre-queue ticket of a scheduled line (status scheduled): epoch ms of the draw that gives it its place; ' +
      'partition and offset are then its place in the pre-queue, not in the line',
  })
  drawAt?: number | null;
}

export class WaitingResponseDto extends QueuePositionDto {
  @ApiProperty({ description: 'The signed ticket; send it back as X-Queue-Ticket' })
  ticket: string;
}

export const TICKET_STATUSES = [
  'scheduled',
  'waiting',
  'admitted',
  'spent',
  'cancelled',
  'abandoned',
  'expired',
  'sold_out',
  'ended',
  'lost',
] as const;
export type TicketStatus = (typeof TICKET_STATUSES)[number];

export class TicketStatusDto extends QueuePositionDto {
  @ApiProperty({ enum: TICKET_STATUSES })
  status: TicketStatus;
  @ApiProperty({ example: 'A0001' })
  line: string;
  @ApiProperty({ example: 'alice', description: 'The holder the ticket was issued to' })
  userId: string;
  @ApiPropertyOptional({
    description: 'Epoch ms until which an admitted pass can be used',
    nullable: true,
    type: Number,
  })
  passExpiresAt: number | null;
}

export class IssuedCouponDto {
  @ApiProperty({ format: 'uuid' }) walletId: string;
  @ApiProperty({ example: 'A0001' }) couponCode: string;
  @ApiProperty({ example: 'alice' }) userId: string;
  @ApiProperty({ format: 'date-time' }) issuedAt: string;
}

export class LinePartitionDto {
  @ApiProperty({ example: 0 }) partition: number;
  @ApiProperty({ example: 1200, description: "The admitter group's committed offset" })
  committedOffset: number;
  @ApiProperty({ example: 5000, description: "The partition's log-end offset" })
  endOffset: number;
}

export class LineStateDto {
  @ApiProperty({ example: 'A0001' }) line: string;
  @ApiProperty({ enum: ['scheduled', 'open', 'paused', 'closed', 'ended', 'sold_out'] })
  state: string;
  @ApiProperty({
    nullable: true,
    type: Number,
    description: 'A scheduled line: epoch ms of its opening (and pre-queue draw)',
  })
  opensAt: number | null;
  @ApiProperty({
    nullable: true,
    type: Number,
    description:
      'Epoch ms at which the line closes (or closed) to new places; those in line keep theirs',
  })
  closesAt: number | null;
  @ApiProperty({
    example: 0,
    description:
      'A first request needs a proof of work of this difficulty (GET /api/lines/{code}/challenge); 0 = none',
  })
  powDifficulty: number;
  @ApiProperty({ type: [LinePartitionDto] }) partitions: LinePartitionDto[];
  @ApiProperty({ example: 3800, description: 'Tickets written and not yet admitted' })
  waiting: number;
  @ApiProperty({
    example: 49.7,
    nullable: true,
    type: Number,
    description: 'Measured admissions per second (moving average); null until measured',
  })
  ratePerSec: number | null;
  @ApiProperty({ example: 50, description: "The admitter's configured rate; 0 = paused" })
  configuredRatePerSec: number;
  @ApiProperty({ example: 180 }) remaining: number;
  @ApiProperty({ example: 300 }) quantity: number;
  @ApiProperty() soldOut: boolean;
  @ApiProperty({ description: 'Epoch ms of the refresh that produced these numbers' })
  refreshedAt: number;
}

export class DrawInfoDto {
  @ApiProperty({ example: 'A0001' }) line: string;
  @ApiProperty({ description: 'Epoch ms at which the line opens and its pre-queue is drawn' })
  opensAt: number;
  @ApiProperty({ description: 'Whether first requests before opensAt join the pre-queue' })
  preQueue: boolean;
  @ApiProperty({ enum: ['scheduled', 'done'] }) status: 'scheduled' | 'done';
  @ApiProperty({ description: 'SHA-256 (hex) of the seed, published when the line was scheduled' })
  commitment: string;
  @ApiProperty({ nullable: true, type: String, description: 'The seed (hex), once drawn' })
  seed: string | null;
  @ApiProperty({ nullable: true, type: Number, description: 'Pre-queue records drawn' })
  entrants: number | null;
  @ApiProperty({
    nullable: true,
    type: Number,
    description:
      'Pre-queue records that landed at or after opensAt, placed behind in arrival order',
  })
  late: number | null;
  @ApiProperty({ nullable: true, type: Number, description: 'Epoch ms of the draw' })
  drawnAt: number | null;
  @ApiProperty() algorithm: string;
}
