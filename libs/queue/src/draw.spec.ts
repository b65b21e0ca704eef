import { drawCommitment, drawOrder } from './draw';

const seed = 'a'.repeat(64);
const entrants = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    partition: i % 3,
    offset: Math.floor(i / 3),
    uuid: `u${i}`,
  }));

describe('the pre-queue draw', () => {
  it('is a deterministic function of the seed and the entrants, whatever order they are given in', () => {
    const a = drawOrder(seed, entrants(50));
    const b = drawOrder(seed, [...entrants(50)].reverse());
    expect(a.map((e) => e.uuid)).toEqual(b.map((e) => e.uuid));
    expect(new Set(a.map((e) => e.uuid)).size).toBe(50);
    expect(drawOrder('b'.repeat(64), entrants(50)).map((e) => e.uuid)).not.toEqual(
      a.map((e) => e.uuid),
    );
  });

  it('commits to the seed with SHA-256 of its bytes', () => {
    expect(drawCommitment('00')).toBe(
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
    );
  });

  it('gives every entrant every place about equally often (chi-square over 3,000 seeds)', () => {
    const n = 4;
    const counts = Array.from({ length: n }, () => new Array<number>(n).fill(0));
    const runs = 3000;
    for (let s = 0; s < runs; s++) {
      const order = drawOrder(s.toString(16).padStart(64, '0'), entrants(n));
      order.forEach((e, place) => counts[Number(e.uuid.slice(1))]![place]!++);
    }
    const expected = runs / n;
    const chi = counts.flat().reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
    // 16 cells, 9 degrees of freedom: the 99.9th percentile is 27.9
    expect(chi).toBeLessThan(27.9);
  });
});
