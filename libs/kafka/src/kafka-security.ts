import type { KafkaConfig, SASLOptions } from 'kafkajs';
import { describeTls, Env, TlsFiles, tlsOptions } from '@app/config';

/**
 * How this process reaches the brokers: TLS (KAFKA_SSL, the CA and an optional
 * client certificate, read from their files once, at start) and SASL
 * (KAFKA_SASL_*). Every kafkajs client of the process (the admin, the ticket log's
 * producer, the admitter's consumer) comes from the one Kafka instance built with
 * these, so they all connect alike. loadEnv has already checked the files exist and
 * the combinations make sense.
 */
export function kafkaSecurity(env: Env): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  const tls = kafkaTlsFiles(env);
  return { ssl: tls && tlsOptions(tls), sasl: kafkaSasl(env) };
}

/** One line for the log: how the brokers are reached (never the password). */
export function describeKafkaSecurity(env: Env): string {
  const sasl =
    env.KAFKA_SASL_MECHANISM === 'none'
      ? 'no SASL'
      : `SASL ${env.KAFKA_SASL_MECHANISM} as ${env.KAFKA_SASL_USERNAME}`;
  return `${describeTls(kafkaTlsFiles(env))}, ${sasl}`;
}

function kafkaTlsFiles(env: Env): TlsFiles | undefined {
  if (!env.KAFKA_SSL) return undefined;
  return {
    caFile: env.KAFKA_SSL_CA_FILE,
    certFile: env.KAFKA_SSL_CERT_FILE,
    keyFile: env.KAFKA_SSL_KEY_FILE,
    rejectUnauthorized: env.KAFKA_SSL_REJECT_UNAUTHORIZED,
  };
}

function kafkaSasl(env: Env): SASLOptions | undefined {
  const { KAFKA_SASL_USERNAME: username, KAFKA_SASL_PASSWORD: password } = env;
  switch (env.KAFKA_SASL_MECHANISM) {
    case 'none':
      return undefined;
    case 'plain':
      return { mechanism: 'plain', username, password };
    case 'scram-sha-256':
      return { mechanism: 'scram-sha-256', username, password };
    case 'scram-sha-512':
      return { mechanism: 'scram-sha-512', username, password };
  }
}
