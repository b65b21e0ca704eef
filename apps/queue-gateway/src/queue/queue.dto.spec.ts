import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { IssueRequestDto } from './queue.dto';

const errors = (body: object) =>
  validateSync(plainToInstance(IssueRequestDto, body)).map((e) => e.property);

describe('IssueRequestDto', () => {
  it('takes an optional altcha payload, but not null or a non-string (schemathesis found null accepted)', () => {
    expect(errors({ userId: 'alice' })).toEqual([]);
    expect(errors({ userId: 'alice', altcha: 'eyJ9' })).toEqual([]);
    expect(errors({ userId: 'alice', altcha: null })).toEqual(['altcha']);
    expect(errors({ userId: 'alice', altcha: 5 })).toEqual(['altcha']);
    expect(errors({ userId: 'alice', altcha: 'x'.repeat(4097) })).toEqual(['altcha']);
  });
});
