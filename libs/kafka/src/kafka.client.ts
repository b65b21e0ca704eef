import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Admin, Kafka, logLevel, LogEntry } from 'kafkajs';
import { withTimeout } from '@app/common/timeout';
import { Env } from '@app/config';
import { describeKafkaSecurity, kafkaSecurity } from './kafka-security';

const levels: Record<number, 'error' | 'warn' | 'log' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'log',
  [logLevel.DEBUG]: 'debug',
};

/**
 * The only place kafkajs is imported. kafkajs is in maintenance-only mode, so
 * the rest of the code talks to this adapter (and the ports built on it), never
 * to kafkajs, and the client can be swapped here.
 *
 * One Kafka client and one admin per process, created lazily and shared:
 * nothing here is created per request. The ticket log owns its producer
 * (see TicketLog: bounded retries, replaced after a failed send); the
 * admitter owns its consumer (LineConsumer).
 */
@Injectable()
export class KafkaClient implements OnApplicationShutdown {
  private readonly logger = new Logger('Kafka');
  readonly kafka: Kafka;
  private adminPromise?: Promise<Admin>;

  constructor(readonly env: Env) {
    this.kafka = new Kafka({
      clientId: env.KAFKA_CLIENT_ID,
      brokers: env.KAFKA_BROKERS.split(','),
      // TLS and SASL (KAFKA_SSL*, KAFKA_SASL_*): every client of this process inherits them.
      ...kafkaSecurity(env),
      connectionTimeout: 2000,
      requestTimeout: 10000,
      retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 2000 },
      logLevel: logLevel.WARN,
      logCreator: () => (entry: LogEntry) => {
        const method = levels[entry.level] ?? 'log';
        this.logger[method](`${entry.namespace}: ${entry.log.message}`);
      },
    });
    this.logger.log(`brokers ${env.KAFKA_BROKERS}, ${describeKafkaSecurity(env)}`);
  }

  admin(): Promise<Admin> {
    this.adminPromise ??= connectOnce(this.kafka.admin(), () => (this.adminPromise = undefined));
    return this.adminPromise;
  }

  /** Liveness of the cluster: a metadata round trip with a deadline. */
  async ping(timeoutMs = 1500): Promise<void> {
    const admin = await withTimeout(this.admin(), timeoutMs, 'kafka connect');
    await withTimeout(admin.describeCluster(), timeoutMs, 'kafka describeCluster');
  }

  async onApplicationShutdown(): Promise<void> {
    const admin = await this.adminPromise?.catch(() => undefined);
    await admin?.disconnect().catch(() => undefined);
  }
}

/** Connects a kafkajs client; a failed connect is forgotten so the next call retries. */
async function connectOnce<T extends { connect(): Promise<void> }>(
  client: T,
  forget: () => void,
): Promise<T> {
  try {
    await client.connect();
    return client;
  } catch (e) {
    forget();
    throw e;
  }
}
