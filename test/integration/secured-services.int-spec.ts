// The waiting room on secured services, the way managed and operator-run clusters
// are set up (secured-services.ts): Kafka with only a SASL_SSL listener (SCRAM,
// client certificate required), Redis with only a TLS port (client certificate
// required, the default user off, an ACL user limited to the release's prefix), and
// PostgreSQL taking TLS connections with a password only. The gateway and the
// admitter run in-process, the coupon service as a real process from its main.ts;
// all three get their TLS files and passwords from the environment, as in the chart.
// A ticket is written, admitted and its coupon issued; then a wrong password, a
// missing CA or certificate, plaintext and a name the certificate does not hold are
// each refused with the server's or TLS' own words.
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import Redis from 'ioredis';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { Env, loadEnv, tlsOptions } from '@app/config';
import { KafkaClient } from '@app/kafka';
import { lineTopic, RedisKeys } from '@app/queue';
import { createRedis, REDIS } from '@app/redis';
import { dataSourceOptions } from '../../apps/coupon-service/src/database/data-source';
import { AdmitterHandle, startAdmitter } from '../support/admitter-harness';
import { freePorts, randomName } from '../support/common';
import { gatewayEnv, joinLine, startGateway, waitFor } from '../support/gateway-harness';
import {
  AppProcess,
  SecuredStack,
  startSecuredStack,
  startSentinelGroup,
} from '../support/secured-services';

jest.setTimeout(300_000);

const LINE = 'SEC01';
const COUPON_MAIN = 'apps/coupon-service/src/main.ts';

describe('secured Kafka, Redis and PostgreSQL (TLS, SASL, ACL user, sslmode)', () => {
  const prefix = `${randomName('test:sec:')}:`;
  let stack: SecuredStack;
  /** Every variable the apps get: .env's secrets, then the secured services'. */
  let vars: Record<string, string | undefined>;
  let env: Env;
  let coupon: AppProcess;
  let gateway: NestFastifyApplication;
  let admitter: AdmitterHandle;
  const http = () => request(gateway.getHttpServer());

  /** An Env like the apps', with some variables changed (or removed with undefined). */
  const envWith = (changes: Record<string, string | undefined>): Env => {
    const merged = { ...vars, ...changes };
    for (const [k, v] of Object.entries(changes)) if (v === undefined) delete merged[k];
    return loadEnv(merged);
  };

  beforeAll(async () => {
    stack = await startSecuredStack(prefix);
    const [tcpPort, httpPort] = await freePorts(2);
    vars = {
      ...process.env,
      ...stack.env,
      KAFKA_TOPIC_PREFIX: randomName('test.sec.'),
      ADMITTER_GROUP_ID: randomName('test-sec-admitter-'),
      COUPON_SERVICE_HOST: '127.0.0.1',
      COUPON_SERVICE_BIND_HOST: '127.0.0.1',
      COUPON_SERVICE_PORT: String(tcpPort),
      COUPON_SERVICE_HTTP_PORT: String(httpPort),
      POSTGRES_POOL_SIZE: '4',
      ADMISSION_RATE_PER_SEC: '100',
      ADMISSION_BURST: '100',
      SWAGGER_ENABLED: 'false',
    };
    // The schema and the line's coupon, over TLS with the options the coupon service uses.
    const db = new DataSource(dataSourceOptions(loadEnv(vars), { poolSize: 1 }));
    await db.initialize();
    await db.runMigrations();
    await db.query(
      `INSERT INTO coupon (code, name, discount, quantity, max_per_user) VALUES ($1, 'secured', 500, 5, 1)`,
      [LINE],
    );
    await db.destroy();

    coupon = await AppProcess.start(COUPON_MAIN, vars).ready(
      `http://127.0.0.1:${httpPort}/health/ready`,
    );
    env = gatewayEnv(vars as Record<string, string>);
    gateway = await startGateway(env);
    admitter = await startAdmitter(env);
  });

  afterAll(async () => {
    await admitter?.close();
    await gateway?.close();
    await coupon?.stop();
    await stack?.destroy();
  });

  it('writes a ticket over SASL_SSL, admits it and issues its coupon through PostgreSQL over TLS', async () => {
    const joined = await joinLine(gateway, LINE, { userId: 'ana' });
    expect(joined.status).toBe(307);
    expect(joined.body).toMatchObject({ partition: 0, offset: 0 });
    const ticket = joined.body.ticket as string;

    const issued = await waitFor(
      async () => {
        const res = await http()
          .post(`/api/coupons/${LINE}/issue`)
          .set('X-Queue-Ticket', ticket)
          .send({ userId: 'ana' });
        return res.status === 307 ? undefined : res;
      },
      60_000,
      'ana to be admitted and issued',
      200,
    );
    expect(issued.status).toBe(201);
    expect(issued.body).toMatchObject({ couponCode: LINE, userId: 'ana' });

    // Kafka: the record is in the line's topic and the admitter group committed past it.
    const admin = await gateway.get(KafkaClient).admin();
    const topic = lineTopic(env.KAFKA_TOPIC_PREFIX, LINE);
    const [end] = await admin.fetchTopicOffsets(topic);
    const [committed] = await admin.fetchOffsets({
      groupId: env.ADMITTER_GROUP_ID,
      topics: [topic],
    });
    expect(Number(end!.high)).toBe(1);
    expect(Number(committed!.partitions[0]!.offset)).toBe(1);
    // Redis: the admission was recorded under the prefix the ACL user is limited to.
    const redis = gateway.get<Redis>(REDIS);
    const admissions = await redis.xrange(RedisKeys.lineAdmissions(LINE), '-', '+');
    expect(admissions.map(([, f]) => f[f.indexOf('uuid') + 1])).toEqual([joined.body.uuid]);
    // PostgreSQL: the wallet row, written by the coupon service.
    expect(
      await stack.postgres.psql(
        `SELECT user_id FROM coupon_wallet WHERE coupon_code = '${LINE}'`,
        stack.postgresUser.database,
      ),
    ).toBe('ana');
  });

  it('connects every client of the apps over TLS as the configured users', async () => {
    // PostgreSQL: every session of the app's role is a TLS one (pg_hba rejects others anyway).
    const sessions = await stack.postgres.psql(
      `SELECT a.usename || ' ' || s.ssl FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) ` +
        `WHERE a.datname = '${stack.postgresUser.database}'`,
    );
    expect(sessions.split('\n').length).toBeGreaterThanOrEqual(1);
    expect(new Set(sessions.split('\n'))).toEqual(new Set([`${stack.postgresUser.user} true`]));

    // Redis: the default user is off, so every connection is the ACL user's; the gateway's
    // pub/sub subscriber (a duplicate() of its client) is one of them.
    const clients = (await gateway.get<Redis>(REDIS).client('LIST')) as string;
    const lines = clients.trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(4); // gateway, its subscriber, admitter, coupon service
    for (const line of lines) expect(line).toContain(`user=${stack.redisUser.user}`);
    expect(lines.some((line) => / sub=1 /.test(line))).toBe(true);

    // Kafka: the same user, by each SASL mechanism the broker offers.
    for (const mechanism of ['scram-sha-512', 'scram-sha-256', 'plain']) {
      const client = new KafkaClient(envWith({ KAFKA_SASL_MECHANISM: mechanism }));
      await expect(client.ping(10_000)).resolves.toBeUndefined();
      await client.onApplicationShutdown();
    }
  });

  it('refuses Kafka with a wrong password, without the CA, without the client certificate, or in plaintext', async () => {
    const refusal = async (changes: Record<string, string | undefined>): Promise<string> => {
      const client = new KafkaClient(envWith(changes));
      try {
        await client.ping(20_000);
        return 'connected';
      } catch (error) {
        return (error as Error).message;
      } finally {
        await client.onApplicationShutdown();
      }
    };
    expect(await refusal({ KAFKA_SASL_PASSWORD: 'not-the-password' })).toMatch(
      /SASL SCRAM SHA512 authentication failed.*invalid credentials/,
    );
    expect(await refusal({ KAFKA_SSL_CA_FILE: undefined })).toMatch(
      /unable to verify the first certificate|self[- ]signed certificate/,
    );
    expect(await refusal({ KAFKA_SSL_CA_FILE: stack.certs.otherCa })).toMatch(
      /unable to verify the first certificate|self[- ]signed certificate/,
    );
    expect(
      await refusal({ KAFKA_SSL_CERT_FILE: undefined, KAFKA_SSL_KEY_FILE: undefined }),
    ).toMatch(/bad certificate|certificate required/);
    expect(
      await refusal({
        KAFKA_SSL: 'false',
        KAFKA_SSL_CA_FILE: undefined,
        KAFKA_SSL_CERT_FILE: undefined,
        KAFKA_SSL_KEY_FILE: undefined,
      }),
    ).not.toBe('connected');
  });

  it('refuses Redis with a wrong password, without the CA or the client certificate, and keys outside the prefix', async () => {
    const refusal = async (changes: Record<string, string | undefined>): Promise<string> => {
      const client = createRedis(envWith(changes), { lazyConnect: true });
      let reason = '';
      client.on('error', (error: Error) => (reason ||= error.message));
      try {
        await client.connect();
        await client.ping();
        return 'connected';
      } catch (error) {
        return reason || (error as Error).message;
      } finally {
        client.disconnect();
      }
    };
    expect(await refusal({ REDIS_PASSWORD: 'not-the-password' })).toMatch(/^WRONGPASS/);
    expect(await refusal({ REDIS_USERNAME: undefined })).toMatch(/^WRONGPASS|NOAUTH/);
    expect(await refusal({ REDIS_TLS_CA_FILE: undefined })).toMatch(
      /self[- ]signed certificate in certificate chain|unable to verify/,
    );
    expect(
      await refusal({ REDIS_TLS_CERT_FILE: undefined, REDIS_TLS_KEY_FILE: undefined }),
    ).toMatch(/certificate required|ECONNRESET/); // TLS 1.3: the alert may come after the client's first write

    // The ACL user may touch its release's prefix only.
    const other = createRedis(env, { keyPrefix: 'someone-else:' });
    await expect(other.set('k', '1')).rejects.toThrow(/^NOPERM/);
    other.disconnect();
  });

  it('refuses PostgreSQL with a wrong password, without the CA, without TLS, and checks the name in verify-full only', async () => {
    const connect = async (changes: Record<string, string | undefined>): Promise<string> => {
      const db = new DataSource(dataSourceOptions(envWith(changes), { poolSize: 1 }));
      try {
        await db.initialize();
        const [row] = await db.query('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
        return row.ssl ? 'connected over TLS' : 'connected in plaintext';
      } catch (error) {
        return (error as Error).message;
      } finally {
        if (db.isInitialized) await db.destroy();
      }
    };
    expect(await connect({ POSTGRES_PASSWORD: 'not-the-password' })).toMatch(
      /password authentication failed for user "waiting_room"/,
    );
    expect(await connect({ POSTGRES_SSL_CA_FILE: undefined })).toMatch(
      /unable to verify the first certificate|self[- ]signed certificate/,
    );
    expect(
      await connect({ POSTGRES_SSL_MODE: 'disable', POSTGRES_SSL_CA_FILE: undefined }),
    ).toMatch(/pg_hba.conf rejects connection .* no encryption/);
    // The certificate names "localhost" only: verify-full refuses 127.0.0.1, verify-ca
    // (the chain, any name) and require (encrypted, nothing checked) take it.
    expect(await connect({ POSTGRES_HOST: '127.0.0.1' })).toMatch(
      /Hostname\/IP does not match certificate's altnames/,
    );
    expect(await connect({ POSTGRES_HOST: '127.0.0.1', POSTGRES_SSL_MODE: 'verify-ca' })).toBe(
      'connected over TLS',
    );
    expect(
      await connect({
        POSTGRES_HOST: '127.0.0.1',
        POSTGRES_SSL_MODE: 'verify-ca',
        POSTGRES_SSL_CA_FILE: stack.certs.otherCa,
      }),
    ).toMatch(/unable to verify the first certificate|self[- ]signed certificate/);
    expect(
      await connect({
        POSTGRES_HOST: '127.0.0.1',
        POSTGRES_SSL_MODE: 'require',
        POSTGRES_SSL_CA_FILE: undefined,
      }),
    ).toBe('connected over TLS');
  });

  it('stops a coupon service whose CA file is missing at boot, or whose password is wrong, saying why', async () => {
    const [tcpPort, httpPort] = await freePorts(2);
    const ports = {
      COUPON_SERVICE_PORT: String(tcpPort),
      COUPON_SERVICE_HTTP_PORT: String(httpPort),
    };
    const missing = `${stack.certs.dir}/no-such-ca.pem`;
    const noFile = AppProcess.start(COUPON_MAIN, {
      ...vars,
      ...ports,
      POSTGRES_SSL_CA_FILE: missing,
    });
    expect(await noFile.exited).toBe(1);
    expect(noFile.output).toContain(`POSTGRES_SSL_CA_FILE: no file at ${missing}`);

    // TypeORM retries the connection (9 times, 3 s apart) before the start fails.
    const wrong = AppProcess.start(COUPON_MAIN, { ...vars, ...ports, POSTGRES_PASSWORD: 'wrong' });
    expect(await wrong.exited).toBe(1);
    expect(wrong.output).toContain('password authentication failed for user "waiting_room"');
  });

  it('finds the master through TLS Sentinels (REDIS_SENTINELS) and follows it when the master dies, pub/sub too', async () => {
    const sentinelPassword = `sentinel-${randomName('')}`;
    const group = await startSentinelGroup(
      stack.certs,
      { app: stack.redisUser, sentinel: stack.sentinelUser, sentinelPassword, prefix },
      'shop',
    );
    const sentinelEnv = envWith({
      REDIS_HOST: undefined,
      REDIS_PORT: undefined,
      REDIS_SENTINELS: `127.0.0.1:${group.sentinel.port}`,
      REDIS_SENTINEL_MASTER_NAME: 'shop',
      REDIS_SENTINEL_PASSWORD: sentinelPassword,
    });
    // The Sentinel itself, asked directly (TLS, its own password).
    const sentinel = new Redis({
      host: '127.0.0.1',
      port: group.sentinel.port,
      password: sentinelPassword,
      tls: tlsOptions({
        caFile: stack.certs.ca,
        certFile: stack.certs.client.cert,
        keyFile: stack.certs.client.key,
        rejectUnauthorized: true,
      }),
    });
    const redis = createRedis(sentinelEnv);
    const subscriber = redis.duplicate();
    // While the master is down, the clients report that they cannot reach it, and retry.
    const outages: string[] = [];
    for (const client of [redis, subscriber])
      client.on('error', (e: Error) => outages.push(e.message));
    const servedBy = async () => ((await redis.config('GET', 'tls-port')) as string[])[1];
    try {
      await redis.set('through-sentinel', 'before');
      expect(await servedBy()).toBe(String(group.master.port));
      const received: string[] = [];
      subscriber.on('message', (_channel: string, message: string) => received.push(message));
      await subscriber.subscribe(`${prefix}news`);

      // The Sentinel must see the replica in sync before it can promote it.
      await waitFor(
        async () => {
          const replicas = (await sentinel.call('SENTINEL', 'REPLICAS', 'shop')) as string[][];
          return replicas.some((r) => r[r.indexOf('master-link-status') + 1] === 'ok');
        },
        30_000,
        'the Sentinel to see the replica in sync',
        200,
      );
      await group.master.kill(); // a crash: SIGKILL
      await waitFor(
        async () =>
          ((await sentinel.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'shop')) as string[])[1] ===
          String(group.replica.port),
        60_000,
        'the Sentinel to promote the replica',
        200,
      );
      // The app's client asks the Sentinel again and writes to the new master.
      await waitFor(
        async () => {
          await redis.set('through-sentinel', 'after');
          return (await servedBy()) === String(group.replica.port);
        },
        60_000,
        'writes to reach the new master',
        200,
      );
      expect(await redis.get('through-sentinel')).toBe('after');
      // So does its subscriber (a duplicate(): the same Sentinels, TLS and user), resubscribed.
      await waitFor(
        async () => {
          await redis.publish(`${prefix}news`, 'after failover');
          return received.includes('after failover');
        },
        60_000,
        'the subscriber to hear from the new master',
        200,
      );
    } finally {
      await Promise.all([redis.quit(), subscriber.quit(), sentinel.quit()]).catch(() => undefined);
      await group.destroy();
    }
  });
});
