import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { UserIdParamDto } from './catalog.dto';

const problems = (userId: unknown) =>
  validateSync(plainToInstance(UserIdParamDto, { userId })).flatMap((e) =>
    Object.values(e.constraints ?? {}),
  );

describe('UserIdParamDto', () => {
  it.each(['alice', 'x'.repeat(64), '김철수', 'a b'])('accepts %j', (id) => {
    expect(problems(id)).toEqual([]);
  });

  it.each<[unknown, RegExp]>([
    ['', /userId must be longer than or equal to 1/],
    ['x'.repeat(65), /shorter than or equal to 64/],
    ['a\u0000b', /control characters/],
    ['tab\there', /control characters/],
    ['lone \ud800 surrogate', /lone surrogates/],
    [undefined, /must be a string/],
  ])('rejects %j', (id, reason) => {
    expect(problems(id).join('; ')).toMatch(reason);
  });
});
