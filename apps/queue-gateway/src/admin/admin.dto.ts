import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsNumber, IsOptional, Max, Min } from 'class-validator';

export class LineSettingsPatchDto {
  @ApiPropertyOptional({
    example: 50,
    description:
      'Admissions per second (token bucket refill); 0 pauses the line (skips still advance)',
  })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1_000_000)
  ratePerSec?: number;

  @ApiPropertyOptional({ example: 50, description: 'Token bucket size' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  burst?: number;

  @ApiPropertyOptional({
    example: 0,
    description: 'Most admitted, unspent passes at once; 0 = no cap',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(10_000_000)
  maxActive?: number;
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
}
