import { createHash, createHmac } from 'node:crypto';

/**
 * The pre-queue draw: arrivals before a scheduled line opens are placed in the
 * line in a uniformly random order, decided by a seed committed to in advance.
 *
 * Publicly checkable:
 * 1. When the line is scheduled, the waiting room publishes
 *    commitment = SHA-256(seed) (hex), the seed being 32 random bytes kept secret.
 * 2. At the draw it publishes the seed; anyone checks SHA-256(seed) = commitment.
 * 3. The entrants are the pre-queue topic's records appended before opensAt,
 *    taken in (partition, offset) order.
 * 4. The order is {@link drawOrder}(seed, entrants): a Fisher-Yates shuffle, from
 *    the last position down, where position i swaps with j = uniform(i + 1),
 *    uniform numbers taken from the stream HMAC-SHA256(seed, counter) (counter a
 *    64-bit big-endian integer from 0, each output cut into eight 32-bit
 *    big-endian words), with rejection sampling so every j is equally likely.
 * Re-running it (npm run audit:draw -- CODE) gives the same order, which the
 * line topic shows as its draw records (header wr-draw: the index).
 */
export const DRAW_ALGORITHM =
  'fisher-yates over entrants ordered by (partition, offset); j = uniform(i+1) from HMAC-SHA256(seed, u64be counter) words, rejection-sampled';

/** SHA-256 of the seed's bytes, hex: what is published before the draw. */
export function drawCommitment(seedHex: string): string {
  return createHash('sha256').update(Buffer.from(seedHex, 'hex')).digest('hex');
}

/** A deterministic stream of uniform integers from the seed. */
class SeedStream {
  private counter = 0n;
  private words: number[] = [];

  constructor(private readonly key: Buffer) {}

  private next32(): number {
    if (this.words.length === 0) {
      const block = Buffer.alloc(8);
      block.writeBigUInt64BE(this.counter++);
      const out = createHmac('sha256', this.key).update(block).digest();
      for (let i = 0; i < 32; i += 4) this.words.push(out.readUInt32BE(i));
    }
    return this.words.shift()!;
  }

  /** Uniform in [0, n), n <= 2^32. */
  uniform(n: number): number {
    const limit = Math.floor(0x1_0000_0000 / n) * n;
    for (;;) {
      const x = this.next32();
      if (x < limit) return x % n;
    }
  }
}

export interface Entrant {
  partition: number;
  offset: number;
  uuid: string;
}

/** The entrants in their drawn order (see the module comment). */
export function drawOrder<T extends Entrant>(seedHex: string, entrants: readonly T[]): T[] {
  const order = [...entrants].sort((a, b) => a.partition - b.partition || a.offset - b.offset);
  const stream = new SeedStream(Buffer.from(seedHex, 'hex'));
  for (let i = order.length - 1; i > 0; i--) {
    const j = stream.uniform(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}
