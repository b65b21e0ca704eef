import { randomUUID } from 'node:crypto';
import { withTimeout } from '@app/common/timeout';
import { KafkaClient } from './kafka.client';

/** One record of a topic, read whole. */
export interface TopicRecord {
  partition: number;
  offset: number;
  /** Broker append time, epoch ms. */
  timestamp: number;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
}

/**
 * Every record of `topic` up to its end offsets as of the call, in
 * (partition, offset) order: for one-off reads (the pre-queue draw, audits),
 * not for the hot path. A throw-away consumer group, deleted afterwards.
 */
export async function readTopic(
  kafka: KafkaClient,
  topic: string,
  timeoutMs = 60_000,
): Promise<TopicRecord[]> {
  const admin = await kafka.admin();
  const ends = await admin.fetchTopicOffsets(topic);
  const remaining = new Map(ends.map((e) => [e.partition, Number(e.high)]));
  const wanted = new Map(ends.map((e) => [e.partition, Number(e.low)]));
  for (const [p, high] of remaining) if ((wanted.get(p) ?? 0) >= high) remaining.delete(p);
  const records: TopicRecord[] = [];
  if (remaining.size === 0) return records;
  const groupId = `wr-read-${randomUUID()}`;
  const consumer = kafka.kafka.consumer({ groupId, allowAutoTopicCreation: false });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const high = remaining.get(batch.partition);
        if (high === undefined) return;
        for (const m of batch.messages) {
          const offset = Number(m.offset);
          if (offset >= high) break;
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(m.headers ?? {})) {
            if (v !== undefined) headers[k] = v.toString();
          }
          records.push({
            partition: batch.partition,
            offset,
            timestamp: Number(m.timestamp),
            key: m.key?.toString() ?? null,
            value: m.value?.toString() ?? null,
            headers,
          });
          if (offset === high - 1) remaining.delete(batch.partition);
        }
        if (remaining.size === 0) done();
      },
    });
    await withTimeout(finished, timeoutMs, `reading ${topic}`);
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
  }
  return records.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}
