import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Env } from '@app/config';
import { dataSourceOptions } from './data-source';
import { describePostgresSsl, postgresSsl } from './postgres-ssl';

const dir = mkdtempSync(join(tmpdir(), 'wr-pg-spec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const ca = join(dir, 'ca.pem');
writeFileSync(ca, 'ca.pem contents');
const env = (vars: Partial<Env>): Env => Object.assign(new Env(), vars);

describe('postgresSsl (libpq sslmode meanings)', () => {
  it('disable: no TLS, and the data source says so', () => {
    expect(postgresSsl(new Env())).toBe(false);
    expect(dataSourceOptions(new Env())).toMatchObject({ ssl: false });
    expect(describePostgresSsl(new Env())).toBe('sslmode disable, plaintext');
  });

  it('require: encrypted, nothing verified without a CA; like verify-ca with one', () => {
    expect(postgresSsl(env({ POSTGRES_SSL_MODE: 'require' }))).toEqual({
      rejectUnauthorized: false,
      checkServerIdentity: expect.any(Function),
    });
    const withCa = postgresSsl(env({ POSTGRES_SSL_MODE: 'require', POSTGRES_SSL_CA_FILE: ca }));
    expect(withCa).toMatchObject({ rejectUnauthorized: true, ca: 'ca.pem contents' });
  });

  it('verify-ca: the chain against the CA, any host name', () => {
    const ssl = postgresSsl(env({ POSTGRES_SSL_MODE: 'verify-ca', POSTGRES_SSL_CA_FILE: ca }));
    expect(ssl).toEqual({
      rejectUnauthorized: true,
      ca: 'ca.pem contents',
      checkServerIdentity: expect.any(Function),
    });
    expect(ssl && ssl.checkServerIdentity?.('db.example', {} as never)).toBeUndefined();
  });

  it('verify-full: the chain and the host name (Node checks it: no override)', () => {
    const e = env({ POSTGRES_SSL_MODE: 'verify-full', POSTGRES_SSL_CA_FILE: ca });
    expect(postgresSsl(e)).toEqual({ rejectUnauthorized: true, ca: 'ca.pem contents' });
    expect(dataSourceOptions(e)).toMatchObject({ ssl: { rejectUnauthorized: true } });
    expect(describePostgresSsl(e)).toBe(`sslmode verify-full, TLS, CA ${ca}`);
    expect(postgresSsl(env({ POSTGRES_SSL_MODE: 'verify-full' }))).toEqual({
      rejectUnauthorized: true,
    });
  });
});
