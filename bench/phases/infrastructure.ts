/**
 * Infrastructure limits on this machine, for scale: Kafka's ProducerPerformance on a
 * scratch topic, and redis-benchmark.
 */
import { exec, Phase, producerPerf, RID } from '../stack';

const kafkaPerf: Phase = {
  name: 'Kafka ProducerPerformance (scratch topic)',
  needsStack: false,
  async run(b) {
    const topic = `bench-perf-${RID}`; // outside the line prefix: not a line
    b.cleanups.push(async () => (await b.kafka.admin()).deleteTopics({ topics: [topic] }));
    const a = await b.kafka.admin();
    await a.createTopics({
      topics: [{ topic, numPartitions: 1, replicationFactor: 1 }],
      waitForLeaders: true,
    });
    b.figures.kafkaScratch = await producerPerf(topic, 500_000, ['--record-size', '100']);
  },
};

const redisBenchmark: Phase = {
  name: 'redis-benchmark',
  needsStack: false,
  async run(b) {
    const redis = ['-h', b.base.REDIS_HOST, '-p', String(b.base.REDIS_PORT)];
    const { stdout } = await exec('redis-benchmark', [
      ...redis,
      '--dbnum',
      '15',
      '-t',
      'set,get',
      '-n',
      '100000',
      '-c',
      '50',
      '--csv',
    ]);
    for (const line of stdout.split('\n')) {
      const m = /^"(SET|GET)","([\d.]+)"/.exec(line);
      if (m) b.figures[`redis${m[1]}`] = Math.round(Number(m[2]));
    }
    await exec('redis-cli', [...redis, '-n', '15', 'DEL', 'key:__rand_int__']);
  },
};

export const infrastructurePhases: Phase[] = [kafkaPerf, redisBenchmark];
