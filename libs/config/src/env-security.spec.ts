import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEnv } from './load-env';

const secrets = {
  TICKET_SECRET: 'x'.repeat(32),
  ADMIN_TOKEN: 'admin-token-123456',
  COUPON_SERVICE_TOKEN: 'coupon-token-123456',
};

// PEM-looking files: loadEnv checks the files are there and hold the right kind of block.
const dir = mkdtempSync(join(tmpdir(), 'wr-env-spec-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const ca = file('ca.pem', '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
const cert = file('client.pem', '-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n');
const key = file('client.key', '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n');
const encryptedKey = file(
  'encrypted.key',
  '-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIF\n-----END ENCRYPTED PRIVATE KEY-----\n',
);
const notPem = file('notes.txt', 'hello\n');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const problems = (vars: Record<string, string>): string => {
  try {
    loadEnv({ ...secrets, ...vars });
    return '';
  } catch (e) {
    return (e as Error).message;
  }
};

describe('loadEnv: Kafka TLS and SASL', () => {
  it('is plaintext and unauthenticated by default', () => {
    const env = loadEnv(secrets);
    expect(env.KAFKA_SSL).toBe(false);
    expect(env.KAFKA_SSL_REJECT_UNAUTHORIZED).toBe(true);
    expect(env.KAFKA_SASL_MECHANISM).toBe('none');
  });

  it('takes TLS with a CA, a client certificate and SCRAM', () => {
    const env = loadEnv({
      ...secrets,
      KAFKA_SSL: 'true',
      KAFKA_SSL_CA_FILE: ca,
      KAFKA_SSL_CERT_FILE: cert,
      KAFKA_SSL_KEY_FILE: key,
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'gateway',
      KAFKA_SASL_PASSWORD: 'secret',
    });
    expect(env.KAFKA_SSL).toBe(true);
    expect(env.KAFKA_SASL_MECHANISM).toBe('scram-sha-512');
  });

  it('says which file is missing, unreadable or not PEM', () => {
    expect(problems({ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: join(dir, 'nope.pem') })).toContain(
      `KAFKA_SSL_CA_FILE: no file at ${join(dir, 'nope.pem')}`,
    );
    expect(problems({ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: dir })).toContain(
      `KAFKA_SSL_CA_FILE: ${dir} is not a file`,
    );
    expect(problems({ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: notPem })).toContain(
      `${notPem} holds no PEM certificate`,
    );
    expect(problems({ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: key })).toContain(
      'holds no PEM certificate',
    );
    expect(
      problems({
        KAFKA_SSL: 'true',
        KAFKA_SSL_CERT_FILE: cert,
        KAFKA_SSL_KEY_FILE: encryptedKey,
      }),
    ).toContain('KAFKA_SSL_KEY_FILE: ' + encryptedKey + ' is an encrypted private key');
  });

  it('refuses TLS files without KAFKA_SSL, and a certificate without its key', () => {
    expect(problems({ KAFKA_SSL_CA_FILE: ca })).toContain(
      'KAFKA_SSL_CA_FILE is set but KAFKA_SSL is not: set KAFKA_SSL=true',
    );
    expect(problems({ KAFKA_SSL: 'true', KAFKA_SSL_CERT_FILE: cert })).toContain(
      'KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE go together',
    );
  });

  it('needs a user name and a password with a SASL mechanism, and knows the mechanisms', () => {
    const message = problems({ KAFKA_SASL_MECHANISM: 'scram-sha-256' });
    expect(message).toContain(
      'KAFKA_SASL_USERNAME is required with KAFKA_SASL_MECHANISM=scram-sha-256',
    );
    expect(message).toContain(
      'KAFKA_SASL_PASSWORD is required with KAFKA_SASL_MECHANISM=scram-sha-256',
    );
    expect(problems({ KAFKA_SASL_MECHANISM: 'gssapi' })).toContain(
      'KAFKA_SASL_MECHANISM must be one of the following values: none, plain, scram-sha-256, scram-sha-512',
    );
  });

  it('reads KAFKA_SSL_REJECT_UNAUTHORIZED=false', () => {
    expect(
      loadEnv({ ...secrets, KAFKA_SSL: 'true', KAFKA_SSL_REJECT_UNAUTHORIZED: 'false' })
        .KAFKA_SSL_REJECT_UNAUTHORIZED,
    ).toBe(false);
  });
});

describe('loadEnv: Redis TLS, ACL user and Sentinel', () => {
  it('takes TLS, an ACL user and Sentinels', () => {
    const env = loadEnv({
      ...secrets,
      REDIS_TLS: 'true',
      REDIS_TLS_CA_FILE: ca,
      REDIS_TLS_CERT_FILE: cert,
      REDIS_TLS_KEY_FILE: key,
      REDIS_USERNAME: 'app',
      REDIS_PASSWORD: 'pw',
      REDIS_SENTINELS: 'sentinel-0:26379,sentinel-1.redis.svc:26379',
      REDIS_SENTINEL_MASTER_NAME: 'shop',
    });
    expect(env.REDIS_TLS).toBe(true);
    expect(env.REDIS_SENTINEL_MASTER_NAME).toBe('shop');
  });

  it('needs a password with a user name, REDIS_TLS with its files, and host:port Sentinels', () => {
    expect(problems({ REDIS_USERNAME: 'app' })).toContain('REDIS_USERNAME needs REDIS_PASSWORD');
    expect(problems({ REDIS_TLS_CA_FILE: ca })).toContain(
      'REDIS_TLS_CA_FILE is set but REDIS_TLS is not',
    );
    expect(problems({ REDIS_TLS: 'true', REDIS_TLS_KEY_FILE: key })).toContain(
      'REDIS_TLS_CERT_FILE and REDIS_TLS_KEY_FILE go together',
    );
    expect(problems({ REDIS_SENTINELS: 'sentinel-0' })).toContain(
      'REDIS_SENTINELS must be empty or host:port[,host:port...]',
    );
    expect(problems({ REDIS_SENTINEL_USERNAME: 'watcher' })).toContain(
      'REDIS_SENTINEL_USERNAME needs REDIS_SENTINEL_PASSWORD',
    );
  });
});

describe('loadEnv: PostgreSQL SSL', () => {
  it('is off by default and takes every mode', () => {
    expect(loadEnv(secrets).POSTGRES_SSL_MODE).toBe('disable');
    for (const mode of ['require', 'verify-full'])
      expect(loadEnv({ ...secrets, POSTGRES_SSL_MODE: mode }).POSTGRES_SSL_MODE).toBe(mode);
    expect(
      loadEnv({ ...secrets, POSTGRES_SSL_MODE: 'verify-ca', POSTGRES_SSL_CA_FILE: ca })
        .POSTGRES_SSL_MODE,
    ).toBe('verify-ca');
  });

  it('needs a CA file that exists for verify-ca, and no CA file with disable', () => {
    expect(problems({ POSTGRES_SSL_MODE: 'verify-ca' })).toContain(
      'POSTGRES_SSL_CA_FILE is required with POSTGRES_SSL_MODE=verify-ca',
    );
    expect(
      problems({ POSTGRES_SSL_MODE: 'verify-ca', POSTGRES_SSL_CA_FILE: join(dir, 'rds.pem') }),
    ).toContain(`POSTGRES_SSL_CA_FILE: no file at ${join(dir, 'rds.pem')}`);
    expect(problems({ POSTGRES_SSL_CA_FILE: ca })).toContain(
      'POSTGRES_SSL_CA_FILE is set but POSTGRES_SSL_MODE=disable',
    );
    expect(problems({ POSTGRES_SSL_MODE: 'prefer' })).toContain(
      'POSTGRES_SSL_MODE must be one of the following values: disable, require, verify-ca, verify-full',
    );
  });

  it('says a file it may not read is unreadable', () => {
    if (process.getuid?.() === 0) return; // root reads anything
    const locked = file('locked.pem', '-----BEGIN CERTIFICATE-----\n');
    chmodSync(locked, 0o000);
    expect(problems({ POSTGRES_SSL_MODE: 'verify-full', POSTGRES_SSL_CA_FILE: locked })).toContain(
      `cannot read ${locked} (EACCES)`,
    );
  });
});
