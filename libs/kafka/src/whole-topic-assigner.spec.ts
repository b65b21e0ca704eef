import { assignWholeTopics } from './whole-topic-assigner';

const parts = { 'l.A': [0, 1, 2], 'l.B': [0], 'l.C': [1, 0] };

describe('assignWholeTopics', () => {
  it('puts every partition of a topic on one member and spreads topics', () => {
    const r = assignWholeTopics(
      [
        { memberId: 'm2', topics: Object.keys(parts), owned: [] },
        { memberId: 'm1', topics: Object.keys(parts), owned: [] },
      ],
      parts,
    );
    expect(r).toEqual({ m1: { 'l.A': [0, 1, 2], 'l.C': [0, 1] }, m2: { 'l.B': [0] } });
  });

  it('keeps a topic with its previous owner when a standby joins', () => {
    const r = assignWholeTopics(
      [
        { memberId: 'a-new', topics: ['l.B'], owned: [] },
        { memberId: 'z-old', topics: ['l.B'], owned: ['l.B'] },
      ],
      { 'l.B': [0] },
    );
    expect(r).toEqual({ 'a-new': {}, 'z-old': { 'l.B': [0] } });
  });

  it('only gives a topic to a member subscribed to it', () => {
    const r = assignWholeTopics(
      [
        { memberId: 'm1', topics: ['l.A'], owned: [] },
        { memberId: 'm2', topics: ['l.A', 'l.B'], owned: [] },
      ],
      { 'l.A': [0], 'l.B': [0] },
    );
    expect(r).toEqual({ m1: { 'l.A': [0] }, m2: { 'l.B': [0] } });
  });

  it('moves topics off an owner holding more than its fair share', () => {
    const all = ['l.A', 'l.B'];
    const r = assignWholeTopics(
      [
        { memberId: 'm1', topics: all, owned: all },
        { memberId: 'm2', topics: all, owned: [] },
      ],
      { 'l.A': [0], 'l.B': [0] },
    );
    expect(r).toEqual({ m1: { 'l.A': [0] }, m2: { 'l.B': [0] } });
  });
});
