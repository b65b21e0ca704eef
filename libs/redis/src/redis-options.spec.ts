import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Env } from '@app/config';
import { createRedis } from './redis.module';
import { describeRedisConnection, redisConnection } from './redis-options';

const dir = mkdtempSync(join(tmpdir(), 'wr-redis-spec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string) => {
  writeFileSync(join(dir, name), `${name} contents`);
  return join(dir, name);
};
const env = (vars: Partial<Env>): Env => Object.assign(new Env(), vars);
const tlsEnv = () =>
  env({
    REDIS_TLS: true,
    REDIS_TLS_CA_FILE: file('ca.pem'),
    REDIS_TLS_CERT_FILE: file('client.pem'),
    REDIS_TLS_KEY_FILE: file('client.key'),
    REDIS_USERNAME: 'app',
    REDIS_PASSWORD: 'pw',
  });
const tls = {
  rejectUnauthorized: true,
  ca: 'ca.pem contents',
  cert: 'client.pem contents',
  key: 'client.key contents',
};

describe('redisConnection', () => {
  it('is host and port, no password, plaintext by default', () => {
    expect(redisConnection(new Env())).toEqual({
      host: '127.0.0.1',
      port: 6379,
      username: undefined,
      password: undefined,
    });
    expect(describeRedisConnection(new Env())).toBe('127.0.0.1:6379, plaintext, no password');
  });

  it('adds the ACL user, its password and TLS', () => {
    expect(redisConnection(tlsEnv())).toEqual({
      host: '127.0.0.1',
      port: 6379,
      username: 'app',
      password: 'pw',
      tls,
    });
    expect(describeRedisConnection(tlsEnv())).not.toContain('pw');
  });

  it('asks the Sentinels for the master, over TLS to both when REDIS_TLS is on', () => {
    const e = Object.assign(tlsEnv(), {
      REDIS_SENTINELS: 'sentinel-0:26379,10.0.0.7:26380',
      REDIS_SENTINEL_MASTER_NAME: 'shop',
      REDIS_SENTINEL_PASSWORD: 'sentinel-pw',
    });
    expect(redisConnection(e)).toEqual({
      sentinels: [
        { host: 'sentinel-0', port: 26379 },
        { host: '10.0.0.7', port: 26380 },
      ],
      name: 'shop',
      sentinelUsername: undefined,
      sentinelPassword: 'sentinel-pw',
      username: 'app',
      password: 'pw',
      tls,
      sentinelTLS: tls,
      enableTLSForSentinelMode: true,
    });
    expect(describeRedisConnection(e)).toBe(
      `master shop of Sentinels sentinel-0:26379,10.0.0.7:26380, TLS, CA ${join(dir, 'ca.pem')}, ` +
        `client certificate ${join(dir, 'client.pem')}, as app`,
    );
  });

  it('gives every client, and its duplicate() (a pub/sub subscriber), the same options', () => {
    const redis = createRedis(tlsEnv(), { lazyConnect: true });
    const subscriber = redis.duplicate();
    try {
      for (const client of [redis, subscriber]) {
        expect(client.options).toMatchObject({ username: 'app', password: 'pw', tls });
        expect(client.options.keyPrefix).toBe('wr:');
      }
    } finally {
      redis.disconnect();
      subscriber.disconnect();
    }
  });
});
