import type { RedisOptions } from 'ioredis';
import { describeTls, Env, TlsFiles, tlsOptions } from '@app/config';

/**
 * How this process reaches Redis: the address (REDIS_HOST and REDIS_PORT, or the
 * master named by the REDIS_SENTINELS), the ACL user and password, and TLS
 * (REDIS_TLS*, the files read once, at start). createRedis builds every client from
 * these, and a client's duplicate() (the cancellation bus' subscriber) copies them,
 * so every connection of the process authenticates and encrypts alike. loadEnv has
 * already checked the files exist and the combinations make sense.
 */
export function redisConnection(env: Env): RedisOptions {
  const files = redisTlsFiles(env);
  const tls = files && tlsOptions(files);
  const auth = {
    username: env.REDIS_USERNAME || undefined,
    password: env.REDIS_PASSWORD || undefined,
  };
  if (env.REDIS_SENTINELS === '') {
    return { host: env.REDIS_HOST, port: env.REDIS_PORT, ...auth, ...(tls && { tls }) };
  }
  return {
    sentinels: env.REDIS_SENTINELS.split(',').map((node) => {
      const at = node.lastIndexOf(':');
      return { host: node.slice(0, at), port: Number(node.slice(at + 1)) };
    }),
    name: env.REDIS_SENTINEL_MASTER_NAME,
    sentinelUsername: env.REDIS_SENTINEL_USERNAME || undefined,
    sentinelPassword: env.REDIS_SENTINEL_PASSWORD || undefined,
    ...auth,
    // TLS to the Sentinels and to the master they name, with the same CA and certificate.
    ...(tls && { tls, sentinelTLS: tls, enableTLSForSentinelMode: true }),
  };
}

/** One line for the log: how Redis is reached (never the password). */
export function describeRedisConnection(env: Env): string {
  const where =
    env.REDIS_SENTINELS === ''
      ? `${env.REDIS_HOST}:${env.REDIS_PORT}`
      : `master ${env.REDIS_SENTINEL_MASTER_NAME} of Sentinels ${env.REDIS_SENTINELS}`;
  const user = env.REDIS_USERNAME
    ? `as ${env.REDIS_USERNAME}`
    : env.REDIS_PASSWORD
      ? 'with a password'
      : 'no password';
  return `${where}, ${describeTls(redisTlsFiles(env))}, ${user}`;
}

function redisTlsFiles(env: Env): TlsFiles | undefined {
  if (!env.REDIS_TLS) return undefined;
  return {
    caFile: env.REDIS_TLS_CA_FILE,
    certFile: env.REDIS_TLS_CERT_FILE,
    keyFile: env.REDIS_TLS_KEY_FILE,
    rejectUnauthorized: env.REDIS_TLS_REJECT_UNAUTHORIZED,
  };
}
