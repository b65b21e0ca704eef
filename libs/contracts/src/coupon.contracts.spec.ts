import { userIdProblem } from './coupon.contracts';

describe('userIdProblem', () => {
  it.each(['alice', 'a', 'x'.repeat(64), '김철수', 'user with spaces', '😀'.repeat(64)])(
    'accepts %j',
    (id) => {
      expect(userIdProblem(id)).toBeNull();
    },
  );

  it.each<[unknown, RegExp]>([
    ['', /empty/],
    ['x'.repeat(65), /at most 64/],
    ['😀'.repeat(65), /at most 64/],
    ['a\u0000b', /control/],
    ['a\nb', /control/],
    ['\u007f', /control/],
    ['a\u009bb', /control/],
    [undefined, /string/],
    [42, /string/],
    [{ id: 'x' }, /string/],
  ])('rejects %j', (id, reason) => {
    expect(userIdProblem(id)).toMatch(reason);
  });
});
