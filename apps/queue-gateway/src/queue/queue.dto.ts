import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, IsUUID, Length, Matches } from 'class-validator';
import { USER_ID_MAX_LENGTH, USER_ID_PATTERN } from '@app/contracts';
import { LINE_CODE_PATTERN } from '@app/queue';

export class LineCodeParamDto {
  @ApiProperty({ example: 'A0001', pattern: LINE_CODE_PATTERN.source })
  @IsString()
  @Matches(LINE_CODE_PATTERN, { message: 'code must be 1-32 letters, digits, "_" or "-"' })
  code: string;
}

export class TicketUuidParamDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('4', { message: 'uuid must be a UUID v4' })
  uuid: string;
}

export class IssueRequestDto {
  @ApiProperty({ minLength: 1, maxLength: USER_ID_MAX_LENGTH, example: 'alice' })
  @IsString()
  @Length(1, USER_ID_MAX_LENGTH, { message: `userId must be 1-${USER_ID_MAX_LENGTH} characters` })
  @Matches(USER_ID_PATTERN, { message: 'userId must not contain control characters' })
  userId: string;
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
  @ApiProperty({ example: 34, description: 'max(0, offset - committedOffset)' })
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
}

export class WaitingResponseDto extends QueuePositionDto {
  @ApiProperty({ description: 'The signed ticket; send it back as X-Queue-Ticket' })
  ticket: string;
}

export const TICKET_STATUSES = [
  'waiting',
  'admitted',
  'spent',
  'cancelled',
  'abandoned',
  'expired',
  'sold_out',
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
  @ApiProperty({ enum: ['open', 'paused', 'sold_out'] }) state: string;
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
