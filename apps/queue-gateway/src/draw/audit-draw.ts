// `npm run audit:draw -- CODE`: re-runs a scheduled line's pre-queue draw from
// Kafka and checks it against what the waiting room did. Reads the committed
// seed from Redis (the same as GET /api/lines/CODE/draw publishes), the
// pre-queue topic and the line topic's draw records. Exit code 0 when the
// seed matches its commitment and the line holds exactly the drawn order; 1
// otherwise; 2 when it cannot check.
import { exitOnConfigError } from '@app/common';
import { loadEnv } from '@app/config';
import { KafkaClient, readTopic } from '@app/kafka';
import {
  drawCommitment,
  drawOrder,
  LINE_CODE_PATTERN,
  lineTopic,
  preQueueTopic,
  RedisKeys,
} from '@app/queue';
import { createRedis } from '@app/redis';
import { DRAW_HEADER } from './draw.service';

const say = (line: string) => process.stdout.write(`${line}\n`);

export async function auditDraw(code: string): Promise<number> {
  if (!LINE_CODE_PATTERN.test(code)) {
    say(`audit:draw: "${code}" is not a line code`);
    return 2;
  }
  const env = loadEnv();
  const redis = createRedis(env);
  const kafka = new KafkaClient(env);
  try {
    const d = await redis.hgetall(RedisKeys.lineDraw(code));
    if (!d.seed) {
      say(`line ${code} was never scheduled: nothing to audit`);
      return 2;
    }
    say(`line ${code}: opens ${new Date(Number(d.opensAt)).toISOString()}`);
    say(`  commitment  ${d.commitment}`);
    if (d.status !== 'done') {
      say('  not drawn yet: the seed is still secret');
      return 0;
    }
    const committed = drawCommitment(d.seed) === d.commitment;
    say(
      `  seed        ${d.seed}  (SHA-256 ${committed ? 'matches' : 'DOES NOT match'} the commitment)`,
    );
    const admin = await kafka.admin();
    const topics = await admin.listTopics();
    const pre = topics.includes(preQueueTopic(env.KAFKA_TOPIC_PREFIX, code))
      ? await readTopic(kafka, preQueueTopic(env.KAFKA_TOPIC_PREFIX, code))
      : [];
    const opensAt = Number(d.opensAt);
    const entrants = pre
      .filter((r) => r.key && r.timestamp < opensAt)
      .map((r) => ({ ...r, uuid: r.key! }));
    const expected = drawOrder(d.seed, entrants).map((e) => e.uuid);
    const drawn = (await readTopic(kafka, lineTopic(env.KAFKA_TOPIC_PREFIX, code)))
      .filter((r) => r.headers[DRAW_HEADER] !== undefined)
      .sort((a, b) => Number(a.headers[DRAW_HEADER]) - Number(b.headers[DRAW_HEADER]));
    const actual = drawn.slice(0, expected.length).map((r) => r.key);
    const mismatch = expected.findIndex((uuid, i) => actual[i] !== uuid);
    const doubled = drawn.length - new Set(drawn.map((r) => r.key)).size;
    const missing = pre.filter((r) => r.key && !drawn.some((x) => x.key === r.key)).length;
    say(
      `  entrants    ${entrants.length} before the opening, ${pre.length - entrants.length} after it`,
    );
    say(
      `  line topic  ${drawn.length} draw records, ${doubled} doubled, ${missing} pre-queue records missing`,
    );
    say(
      mismatch === -1
        ? `  order       the line holds exactly drawOrder(seed, entrants)`
        : `  order       DIFFERS at place ${mismatch}: expected ${expected[mismatch]}, found ${actual[mismatch] ?? 'nothing'}`,
    );
    const ok = committed && mismatch === -1 && doubled === 0 && missing === 0;
    say(ok ? 'audit:draw: OK' : 'audit:draw: FAILED');
    return ok ? 0 : 1;
  } finally {
    redis.disconnect();
    await kafka.onApplicationShutdown();
  }
}

if (require.main === module) {
  auditDraw(process.argv[2] ?? '')
    .then((code) => process.exit(code))
    .catch(exitOnConfigError('audit:draw'));
}
