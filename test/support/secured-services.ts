// Private, throw-away Kafka, Redis and PostgreSQL that demand what managed and
// operator-run ones do: TLS everywhere (one test CA, test-certs.ts) and a password.
// - Kafka: one SASL_SSL listener only (SCRAM-SHA-512, SCRAM-SHA-256 and PLAIN), the
//   client certificate required too (mTLS); the broker talks to itself over it.
// - Redis: a TLS port only (no plaintext port), client certificates required, the
//   default user off and one ACL user limited to the keys and channels of a prefix;
//   optionally a replica and a Sentinel (TLS, a password of its own) watching it.
// - PostgreSQL: a cluster of its own (initdb) with ssl=on, hostssl + scram-sha-256
//   only (a connection without TLS is rejected by pg_hba), its certificate issued to
//   "localhost" alone, so verify-full must be given that name.
// Everything listens on 127.0.0.1, on free ports, and is removed by destroy().
import { ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, stopProcess, waitFor } from './common';
import { KafkaBroker } from './kafka-broker';
import { LocalServer } from './local-server';
import { TestCertificates } from './test-certs';

const run = promisify(execFile);
const secret = (name: string) => `${name}-${randomBytes(9).toString('base64url')}`;

export interface Credentials {
  user: string;
  password: string;
}

// ---------------------------------------------------------------- Kafka

/**
 * A broker whose only client listener is SASL_SSL: SCRAM-SHA-512 and SCRAM-SHA-256
 * credentials for `app` (made by `kafka-storage format --add-scram`), PLAIN for the
 * same user (a JAAS user_ entry), and `ssl.client.auth=required` on the listener.
 */
export async function startSecuredKafka(
  certs: TestCertificates,
  app: Credentials,
): Promise<KafkaBroker> {
  // A PEM key store: the unencrypted PKCS#8 key, then the certificate.
  const keystore = join(certs.dir, 'kafka-keystore.pem');
  writeFileSync(
    keystore,
    readFileSync(certs.server.key, 'utf8') + readFileSync(certs.server.cert, 'utf8'),
  );
  const broker: Credentials = { user: 'broker', password: secret('broker') };
  const scram = (user: Credentials) => `username="${user.user}" password="${user.password}"`;
  const kafka = await KafkaBroker.create({
    listeners: (port, controllerPort) =>
      [
        `listeners=SASL_SSL://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
        `advertised.listeners=SASL_SSL://127.0.0.1:${port}`,
        'listener.security.protocol.map=CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL',
        'inter.broker.listener.name=SASL_SSL',
        'sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512',
        'sasl.enabled.mechanisms=SCRAM-SHA-512,SCRAM-SHA-256,PLAIN',
        // The broker's own login (inter-broker) is the SCRAM-SHA-512 JAAS entry's.
        `listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required ${scram(broker)};`,
        'listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
        `listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_${app.user}="${app.password}";`,
        'listener.name.sasl_ssl.ssl.client.auth=required',
        'ssl.keystore.type=PEM',
        `ssl.keystore.location=${keystore}`,
        'ssl.truststore.type=PEM',
        `ssl.truststore.location=${certs.ca}`,
        'ssl.endpoint.identification.algorithm=https',
      ].join('\n'),
    formatArgs: [
      ['SCRAM-SHA-512', broker],
      ['SCRAM-SHA-512', app],
      ['SCRAM-SHA-256', app],
    ].flatMap(([mechanism, user]) => [
      '--add-scram',
      `${mechanism as string}=[name=${(user as Credentials).user},password=${(user as Credentials).password}]`,
    ]),
  });
  await kafka.start(90_000);
  return kafka;
}

// ---------------------------------------------------------------- Redis

/** One redis-server (or Sentinel) process from a config file of its own. */
export class TlsRedis extends LocalServer {
  private constructor(
    readonly dir: string,
    port: number,
    private readonly sentinel: boolean,
  ) {
    super(port);
  }

  /**
   * `config` gets the TLS lines (this port only, client certificates required,
   * TLS to masters and replicas too) prepended.
   */
  static async create(
    certs: TestCertificates,
    config: (port: number) => string,
    options: { sentinel?: boolean } = {},
  ): Promise<TlsRedis> {
    const dir = mkdtempSync(join(tmpdir(), 'wr-test-tls-redis-'));
    const server = new TlsRedis(dir, await freePort(), options.sentinel ?? false);
    writeFileSync(
      join(dir, 'redis.conf'),
      [
        'bind 127.0.0.1',
        'port 0',
        `tls-port ${server.port}`,
        `tls-cert-file ${certs.server.cert}`,
        `tls-key-file ${certs.server.key}`,
        `tls-ca-cert-file ${certs.ca}`,
        'tls-auth-clients yes',
        'tls-replication yes',
        `dir ${dir}`,
        'save ""',
        'appendonly no',
        config(server.port),
        '',
      ].join('\n'),
    );
    return server;
  }

  async start(timeoutMs = 20_000): Promise<void> {
    const args = [join(this.dir, 'redis.conf'), ...(this.sentinel ? ['--sentinel'] : [])];
    const child = spawn('redis-server', args, { stdio: 'ignore' });
    await this.started(child, `TLS redis on ${this.port}`, timeoutMs, 50);
  }

  async destroy(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * The ACL lines of a Redis the apps use: no default user, `app` on `prefix` only, and
 * Sentinel's user. A replica (or a master Sentinel demotes) syncs as `app`.
 */
export function redisUsers(app: Credentials, prefix: string, sentinel: Credentials): string {
  return [
    'user default off',
    `masteruser ${app.user}`,
    `masterauth ${app.password}`,
    // Every command, but only the keys and pub/sub channels under the release's prefix.
    `user ${app.user} on >${app.password} ~${prefix}* &${prefix}* +@all`,
    // What Sentinel needs on the servers it watches (the Redis Sentinel documentation's list).
    `user ${sentinel.user} on >${sentinel.password} allchannels +multi +slaveof +ping +exec ` +
      '+subscribe +config|rewrite +role +publish +info +client|setname +client|kill +script|kill',
  ].join('\n');
}

/**
 * A Redis master, its replica and one Sentinel watching them as `masterName`, all
 * TLS-only with the same users; the Sentinel has a password of its own.
 */
export async function startSentinelGroup(
  certs: TestCertificates,
  users: { app: Credentials; sentinel: Credentials; sentinelPassword: string; prefix: string },
  masterName: string,
): Promise<{ master: TlsRedis; replica: TlsRedis; sentinel: TlsRedis; destroy(): Promise<void> }> {
  const acl = redisUsers(users.app, users.prefix, users.sentinel);
  const master = await TlsRedis.create(certs, () => acl);
  const replica = await TlsRedis.create(certs, () => `${acl}\nreplicaof 127.0.0.1 ${master.port}`);
  const sentinel = await TlsRedis.create(
    certs,
    () =>
      [
        `requirepass ${users.sentinelPassword}`,
        `sentinel monitor ${masterName} 127.0.0.1 ${master.port} 1`,
        `sentinel auth-user ${masterName} ${users.sentinel.user}`,
        `sentinel auth-pass ${masterName} ${users.sentinel.password}`,
        `sentinel down-after-milliseconds ${masterName} 2000`,
        `sentinel failover-timeout ${masterName} 10000`,
      ].join('\n'),
    { sentinel: true },
  );
  const all = [master, replica, sentinel];
  for (const server of all) await server.start();
  return {
    master,
    replica,
    sentinel,
    destroy: async () => {
      for (const server of all) await server.destroy();
    },
  };
}

// ---------------------------------------------------------------- PostgreSQL

const pgBin = (): string => {
  const versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(a) - Number(b));
  if (!versions.length) throw new Error('no PostgreSQL under /usr/lib/postgresql');
  return join('/usr/lib/postgresql', versions[versions.length - 1]!, 'bin');
};

/**
 * A private PostgreSQL cluster: TLS on (the certificate for "localhost" only), and
 * pg_hba letting in TLS connections with a SCRAM password and nothing else over TCP.
 * As root it runs as the postgres user (PostgreSQL refuses root), as scripts/services.sh does.
 */
export class SecuredPostgres {
  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  get data(): string {
    return join(this.dir, 'data');
  }

  static async create(
    certs: TestCertificates,
    app: Credentials & { database: string },
  ): Promise<SecuredPostgres> {
    const pg = new SecuredPostgres(mkdtempSync(join(tmpdir(), 'wr-test-pg-')), await freePort());
    const asRoot = process.getuid?.() === 0;
    const owner = asRoot ? await run('id', ['-u', 'postgres']).then((r) => Number(r.stdout)) : -1;
    if (asRoot) chownSync(pg.dir, owner, owner);
    await pg.as(join(pgBin(), 'initdb'), [
      '-D',
      pg.data,
      '-U',
      'postgres',
      '--auth-local=trust',
      '--auth-host=reject',
      '-N',
    ]);
    // The server's key must belong to the server's user and be private to it.
    const pair = certs.localhostOnly;
    for (const [from, to] of [
      [pair.cert, 'server.pem'],
      [pair.key, 'server.key'],
    ]) {
      copyFileSync(from!, join(pg.data, to!));
      if (asRoot) chownSync(join(pg.data, to!), owner, owner);
    }
    chmodSync(join(pg.data, 'server.key'), 0o600);
    writeFileSync(
      join(pg.data, 'pg_hba.conf'),
      'local all all trust\n' +
        'hostssl all all 127.0.0.1/32 scram-sha-256\n' +
        'hostnossl all all 127.0.0.1/32 reject\n',
    );
    await pg.as(join(pgBin(), 'pg_ctl'), [
      '-D',
      pg.data,
      '-l',
      join(pg.dir, 'postgres.log'),
      '-w',
      '-t',
      '60',
      '-o',
      [
        '-c listen_addresses=127.0.0.1',
        `-p ${pg.port}`,
        `-k ${pg.dir}`,
        '-c ssl=on',
        '-c ssl_cert_file=server.pem',
        '-c ssl_key_file=server.key',
        '-c fsync=off',
        '-c max_connections=60',
        '-c shared_buffers=16MB',
      ].join(' '),
      'start',
    ]);
    await pg.psql(`CREATE ROLE "${app.user}" LOGIN PASSWORD '${app.password}'`);
    await pg.psql(`CREATE DATABASE "${app.database}" OWNER "${app.user}"`);
    return pg;
  }

  /** Runs SQL as the superuser over the cluster's Unix socket, in `database`. */
  async psql(sql: string, database = 'postgres'): Promise<string> {
    const { stdout } = await this.as(join(pgBin(), 'psql'), [
      '-h',
      this.dir,
      '-p',
      String(this.port),
      '-U',
      'postgres',
      '-d',
      database,
      '-v',
      'ON_ERROR_STOP=1',
      '-Atqc',
      sql,
    ]);
    return stdout.trim();
  }

  async destroy(): Promise<void> {
    await this.as(join(pgBin(), 'pg_ctl'), ['-D', this.data, '-m', 'immediate', 'stop']).catch(
      () => undefined,
    );
    rmSync(this.dir, { recursive: true, force: true });
  }

  private as(command: string, args: string[]) {
    return process.getuid?.() === 0
      ? run('runuser', ['-u', 'postgres', '--', command, ...args], { timeout: 90_000 })
      : run(command, args, { timeout: 90_000 });
  }
}

// ---------------------------------------------------------------- the stack

export interface SecuredStack {
  certs: TestCertificates;
  kafka: KafkaBroker;
  redis: TlsRedis;
  postgres: SecuredPostgres;
  kafkaUser: Credentials;
  redisUser: Credentials;
  sentinelUser: Credentials;
  postgresUser: Credentials & { database: string };
  /** The environment of an app using all three, every secret and file set. */
  env: Record<string, string>;
  destroy(): Promise<void>;
}

/** Starts Kafka, Redis and PostgreSQL in parallel; `redisPrefix` is all the Redis user may touch. */
export async function startSecuredStack(redisPrefix: string): Promise<SecuredStack> {
  const certs = await TestCertificates.create();
  const kafkaUser = { user: 'waiting-room', password: secret('kafka') };
  const redisUser = { user: 'waiting-room', password: secret('redis') };
  const sentinelUser = { user: 'sentinel', password: secret('sentinel') };
  const postgresUser = { user: 'waiting_room', password: secret('pg'), database: 'waiting_room' };
  const started: Array<{ destroy(): Promise<void> }> = [];
  const destroy = async () => {
    for (const s of started.reverse()) await s.destroy().catch(() => undefined);
    certs.destroy();
  };
  try {
    const redis = await TlsRedis.create(certs, () =>
      redisUsers(redisUser, redisPrefix, sentinelUser),
    );
    const [kafka, postgres] = await Promise.all([
      startSecuredKafka(certs, kafkaUser).then((k) => (started.push(k), k)),
      SecuredPostgres.create(certs, postgresUser).then((p) => (started.push(p), p)),
      redis.start().then(() => started.push(redis)),
    ]);
    return {
      certs,
      kafka,
      redis,
      postgres,
      kafkaUser,
      redisUser,
      sentinelUser,
      postgresUser,
      destroy,
      env: {
        KAFKA_BROKERS: kafka.brokers,
        KAFKA_SSL: 'true',
        KAFKA_SSL_CA_FILE: certs.ca,
        KAFKA_SSL_CERT_FILE: certs.client.cert,
        KAFKA_SSL_KEY_FILE: certs.client.key,
        KAFKA_SASL_MECHANISM: 'scram-sha-512',
        KAFKA_SASL_USERNAME: kafkaUser.user,
        KAFKA_SASL_PASSWORD: kafkaUser.password,
        REDIS_HOST: '127.0.0.1',
        REDIS_PORT: String(redis.port),
        REDIS_TLS: 'true',
        REDIS_TLS_CA_FILE: certs.ca,
        REDIS_TLS_CERT_FILE: certs.client.cert,
        REDIS_TLS_KEY_FILE: certs.client.key,
        REDIS_USERNAME: redisUser.user,
        REDIS_PASSWORD: redisUser.password,
        REDIS_KEY_PREFIX: redisPrefix,
        POSTGRES_HOST: 'localhost',
        POSTGRES_PORT: String(postgres.port),
        POSTGRES_USER: postgresUser.user,
        POSTGRES_PASSWORD: postgresUser.password,
        POSTGRES_DB: postgresUser.database,
        POSTGRES_SSL_MODE: 'verify-full',
        POSTGRES_SSL_CA_FILE: certs.ca,
      },
    };
  } catch (error) {
    await destroy();
    throw error;
  }
}

// ---------------------------------------------------------------- an app as a process

/** A real app process (its main.ts from source, ts-main.js), its output kept for messages. */
export class AppProcess {
  output = '';
  readonly exited: Promise<number | null>;

  private constructor(readonly child: ChildProcess) {
    const keep = (chunk: Buffer) => (this.output = (this.output + chunk.toString()).slice(-40_000));
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  /** Starts `main` (a path from the repository's root) with exactly `env` (plus PATH). */
  static start(main: string, env: Record<string, string | undefined>): AppProcess {
    const child = spawn(process.execPath, [join(__dirname, 'ts-main.js'), main], {
      env: { PATH: process.env.PATH, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new AppProcess(child);
  }

  /** Waits until `url` answers 2xx; fails with the process' output if it exits first. */
  async ready(url: string, timeoutMs = 60_000): Promise<this> {
    await waitFor(
      async () => {
        if (this.child.exitCode !== null)
          throw new Error(`exited ${this.child.exitCode}: ${this.output}`);
        const res = await fetch(url).catch(() => null);
        return res?.ok ?? false;
      },
      timeoutMs,
      `${url} to answer`,
      200,
    );
    return this;
  }

  stop(): Promise<void> {
    return stopProcess(this.child, 'SIGTERM', 10_000);
  }
}
