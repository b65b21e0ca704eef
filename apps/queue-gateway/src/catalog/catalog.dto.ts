import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length, Matches } from 'class-validator';
import { USER_ID_MAX_LENGTH, USER_ID_PATTERN } from '@app/contracts';
import { USER_ID_SCHEMA_PATTERN } from '../queue/queue.dto';

export class UserIdParamDto {
  @ApiProperty({
    minLength: 1,
    maxLength: USER_ID_MAX_LENGTH,
    pattern: USER_ID_SCHEMA_PATTERN,
    example: 'alice',
  })
  @IsString()
  @Length(1, USER_ID_MAX_LENGTH)
  @Matches(USER_ID_PATTERN, {
    message: 'userId must not contain control characters or lone surrogates',
  })
  userId: string;
}

export class CouponViewDto {
  @ApiProperty({ example: 'A0001' }) code: string;
  @ApiProperty({ example: '10,000 won off' }) name: string;
  @ApiProperty({ example: 10000, description: 'Discount in won' }) discount: number;
  @ApiProperty({ example: 300 }) quantity: number;
  @ApiProperty({ example: 120, description: 'Not yet issued (quantity - issued)' })
  remaining: number;
}

export class WalletEntryDto {
  @ApiProperty({ example: 'A0001' }) couponCode: string;
  @ApiProperty({ format: 'uuid' }) walletId: string;
  @ApiProperty({ format: 'date-time' }) issuedAt: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) usedAt: string | null;
}
