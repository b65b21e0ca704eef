import { mergeOrder, PartitionView } from './line-merge';

interface T {
  partition: number;
  timestamp: number;
  id: string;
}
const t = (partition: number, timestamp: number, id: string): T => ({ partition, timestamp, id });
const ids = (order: T[]) => order.map((x) => x.id);

describe('mergeOrder', () => {
  it('is plain offset order with one partition, never blocked', () => {
    const p: PartitionView<T> = {
      partition: 0,
      buffer: [t(0, 5, 'a'), t(0, 5, 'b'), t(0, 9, 'c')],
    };
    expect(mergeOrder([p], 10, 50)).toEqual({
      order: [p.buffer[0], p.buffer[1], p.buffer[2]],
      blockedBy: [],
    });
  });

  it('orders by append time across partitions, ties to the lower partition', () => {
    const p0: PartitionView<T> = { partition: 0, buffer: [t(0, 10, 'a'), t(0, 30, 'd')] };
    const p1: PartitionView<T> = {
      partition: 1,
      buffer: [t(1, 10, 'b'), t(1, 20, 'c'), t(1, 40, 'e')],
    };
    const r = mergeOrder([p1, p0], 4, 0);
    expect(ids(r.order)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('orders two batches of one gateway appended in the same millisecond by batch, not partition', () => {
    const b = (partition: number, sentAt: number, batch: number, id: string) => ({
      ...t(partition, 50, id),
      batch: { sentAt, gateway: 'gw1', batch },
    });
    // batch 7 went to partition 2, batch 8 (sent the same ms) to partition 0
    // every partition known to hold nothing more (read at 1000, past every append)
    const known = { position: 2, observed: { high: 2, at: 1000 } };
    const p0: PartitionView<T> = {
      partition: 0,
      buffer: [b(0, 49, 8, 'c'), b(0, 49, 8, 'd')],
      ...known,
    };
    const p2: PartitionView<T> = {
      partition: 2,
      buffer: [b(2, 49, 7, 'a'), b(2, 49, 7, 'b')],
      ...known,
    };
    expect(ids(mergeOrder([p0, p2], 4, 0).order)).toEqual(['a', 'b', 'c', 'd']);
    // an earlier send time wins over a lower batch number of another gateway
    const other = { ...t(1, 50, 'x'), batch: { sentAt: 48, gateway: 'gw2', batch: 99 } };
    const p1: PartitionView<T> = { partition: 1, buffer: [other], ...known };
    expect(ids(mergeOrder([p0, p1, p2], 5, 0).order)).toEqual(['x', 'a', 'b', 'c', 'd']);
  });

  it('stops when an exhausted partition might still hold an older record', () => {
    const p0: PartitionView<T> = { partition: 0, buffer: [t(0, 100, 'a')] };
    const p1: PartitionView<T> = { partition: 1, buffer: [], position: 7 };
    expect(mergeOrder([p0, p1], 10, 50)).toEqual({ order: [], blockedBy: [1], blockedAt: 100 });
  });

  it('is not cleared by a high-watermark reading taken before candidate + grace', () => {
    const p0: PartitionView<T> = { partition: 0, buffer: [t(0, 100, 'a')] };
    const p1: PartitionView<T> = {
      partition: 1,
      buffer: [],
      position: 7,
      observed: { high: 7, at: 120 },
    };
    expect(mergeOrder([p0, p1], 10, 50).blockedBy).toEqual([1]);
  });

  it('is not cleared when the high watermark is past the fetch position (records not fetched yet)', () => {
    const p0: PartitionView<T> = { partition: 0, buffer: [t(0, 100, 'a')] };
    const p1: PartitionView<T> = {
      partition: 1,
      buffer: [],
      position: 7,
      observed: { high: 8, at: 1000 },
    };
    expect(mergeOrder([p0, p1], 10, 50).blockedBy).toEqual([1]);
  });

  it('is not cleared while the fetch position is unknown', () => {
    const p0: PartitionView<T> = { partition: 0, buffer: [t(0, 100, 'a')] };
    const p1: PartitionView<T> = { partition: 1, buffer: [], observed: { high: 0, at: 1000 } };
    expect(mergeOrder([p0, p1], 10, 50).blockedBy).toEqual([1]);
  });

  it('proceeds past a caught-up partition, then blocks on a later candidate the reading does not cover', () => {
    const p0: PartitionView<T> = { partition: 0, buffer: [t(0, 100, 'a'), t(0, 200, 'b')] };
    const p1: PartitionView<T> = {
      partition: 1,
      buffer: [],
      position: 7,
      observed: { high: 7, at: 160 },
    };
    const r = mergeOrder([p0, p1], 10, 50);
    expect(ids(r.order)).toEqual(['a']);
    expect(r.blockedBy).toEqual([1]);
    expect(r.blockedAt).toBe(200);
  });

  it('blocks once a partition is used up in the merge and not known caught-up', () => {
    const p0: PartitionView<T> = { partition: 0, buffer: [t(0, 10, 'a'), t(0, 30, 'c')] };
    const p1: PartitionView<T> = { partition: 1, buffer: [t(1, 20, 'b')], position: 6 };
    const r = mergeOrder([p0, p1], 10, 0);
    expect(ids(r.order)).toEqual(['a', 'b']);
    expect(r.blockedBy).toEqual([1]);
  });

  it('respects the limit', () => {
    const p0: PartitionView<T> = {
      partition: 0,
      buffer: [t(0, 1, 'a'), t(0, 2, 'b'), t(0, 3, 'c')],
    };
    expect(ids(mergeOrder([p0], 2, 0).order)).toEqual(['a', 'b']);
  });
});
