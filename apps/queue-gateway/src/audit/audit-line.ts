// `npm run audit -- CODE`: the fairness audit of a line (see line-audit.ts).
// Prints the figures; exit code 1 when anyone was admitted out of turn or
// twice, 2 when it cannot check.
import { exitOnConfigError } from '@app/common';
import { loadEnv } from '@app/config';
import { KafkaClient } from '@app/kafka';
import { LINE_CODE_PATTERN } from '@app/queue';
import { createRedis } from '@app/redis';
import { auditLine } from './line-audit';

async function main(code: string): Promise<number> {
  if (!LINE_CODE_PATTERN.test(code)) {
    process.stdout.write(`audit: "${code}" is not a line code\n`);
    return 2;
  }
  const env = loadEnv();
  const redis = createRedis(env);
  const kafka = new KafkaClient(env);
  try {
    const a = await auditLine(kafka, redis, env.KAFKA_TOPIC_PREFIX, code);
    const rows: Array<[string, string | number]> = [
      ['tickets written', a.written],
      ['admitted in order', a.admitted],
      ['admitted out of order (must be 0)', a.outOfOrder],
      ['admitted twice (must be 0)', a.admittedTwice],
      ['rejoined within the grace window', a.rejoined],
      ['skipped: cancelled', a.skippedCancelled],
      ['skipped: abandoned', a.skippedAbandoned],
      ['not decided yet', a.undecided],
      ['issued', a.issued],
      ['largest wait', `${(a.largestWaitMs / 1000).toFixed(1)} s`],
    ];
    process.stdout.write(`line ${code}\n`);
    for (const [k, v] of rows) process.stdout.write(`  ${k.padEnd(36)} ${v}\n`);
    if (a.logTrimmed)
      process.stdout.write(
        '  (the admission log was trimmed: its oldest entries were not checked)\n',
      );
    const ok = a.outOfOrder === 0 && a.admittedTwice === 0;
    process.stdout.write(ok ? 'audit: OK\n' : 'audit: VIOLATIONS\n');
    return ok ? 0 : 1;
  } finally {
    redis.disconnect();
    await kafka.onApplicationShutdown();
  }
}

if (require.main === module) {
  main(process.argv[2] ?? '')
    .then((code) => process.exit(code))
    .catch(exitOnConfigError('audit'));
}
