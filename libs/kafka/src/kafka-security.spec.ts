import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Env } from '@app/config';
import { describeKafkaSecurity, kafkaSecurity } from './kafka-security';

const dir = mkdtempSync(join(tmpdir(), 'wr-kafka-spec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string) => {
  writeFileSync(join(dir, name), `${name} contents`);
  return join(dir, name);
};
const env = (vars: Partial<Env>): Env => Object.assign(new Env(), vars);

describe('kafkaSecurity', () => {
  it('is plaintext without SASL by default', () => {
    expect(kafkaSecurity(new Env())).toEqual({ ssl: undefined, sasl: undefined });
    expect(describeKafkaSecurity(new Env())).toBe('plaintext, no SASL');
  });

  it('reads the CA, the client certificate and its key, and passes SCRAM credentials', () => {
    const e = env({
      KAFKA_SSL: true,
      KAFKA_SSL_CA_FILE: file('ca.pem'),
      KAFKA_SSL_CERT_FILE: file('client.pem'),
      KAFKA_SSL_KEY_FILE: file('client.key'),
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'gateway',
      KAFKA_SASL_PASSWORD: 'secret',
    });
    expect(kafkaSecurity(e)).toEqual({
      ssl: {
        rejectUnauthorized: true,
        ca: 'ca.pem contents',
        cert: 'client.pem contents',
        key: 'client.key contents',
      },
      sasl: { mechanism: 'scram-sha-512', username: 'gateway', password: 'secret' },
    });
    const line = describeKafkaSecurity(e);
    expect(line).toBe(
      `TLS, CA ${join(dir, 'ca.pem')}, client certificate ${join(dir, 'client.pem')}, SASL scram-sha-512 as gateway`,
    );
    expect(line).not.toContain('secret');
  });

  it('uses the system CAs without a CA file, and can be told not to verify', () => {
    const e = env({ KAFKA_SSL: true, KAFKA_SSL_REJECT_UNAUTHORIZED: false });
    expect(kafkaSecurity(e).ssl).toEqual({ rejectUnauthorized: false });
    expect(describeKafkaSecurity(e)).toBe('TLS, system CAs, certificates NOT verified, no SASL');
  });

  it.each(['plain', 'scram-sha-256'] as const)('passes %s credentials', (mechanism) => {
    const e = env({
      KAFKA_SASL_MECHANISM: mechanism,
      KAFKA_SASL_USERNAME: 'u',
      KAFKA_SASL_PASSWORD: 'p',
    });
    expect(kafkaSecurity(e)).toEqual({
      ssl: undefined,
      sasl: { mechanism, username: 'u', password: 'p' },
    });
  });
});
