/**
 * Coupons issued per second, ISSUERS requests in flight on every path so the rates compare:
 * directly at the coupon service (TCP, as the gateway's CouponClient sends), end to end
 * through the gateway with admitted tickets, and the naive baseline (bench/naive-issuer.ts).
 * Rows in PostgreSQL must never exceed the coupon's quantity.
 */
import { ClientProxy, ClientProxyFactory, Transport } from '@nestjs/microservices';
import { Pool } from 'pg';
import { firstValueFrom, timeout } from 'rxjs';
import { CouponPatterns, CouponView, IssueCouponResult, withCouponAuth } from '@app/contracts';
import { NaiveIssuer } from '../naive-issuer';
import { DURATION, ISSUERS, Phase, RID, sleep } from '../stack';

const direct: Phase = {
  name: 'issue directly at the coupon service (TCP)',
  needsStack: true,
  async run(b) {
    const { figures } = b;
    const client: ClientProxy = ClientProxyFactory.create({
      transport: Transport.TCP,
      options: { host: '127.0.0.1', port: b.ports.coupon },
    });
    await client.connect();
    // as the gateway's CouponClient does: the service refuses a message without the token
    const withAuth = <T extends object>(data: T) =>
      withCouponAuth(data, b.base.COUPON_SERVICE_TOKEN);
    const outcomes: Record<string, number> = {};
    let next = 0;
    let lastIssued = 0;
    const t0 = Date.now();
    const worker = async () => {
      while (next < 12_000) {
        const userId = `d-${RID}-${next++}`;
        const r = await firstValueFrom(
          client
            .send<IssueCouponResult>(CouponPatterns.issue, withAuth({ code: 'DIRECT01', userId }))
            .pipe(timeout(10_000)),
        );
        outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
        if (r.outcome === 'issued') lastIssued = Date.now();
      }
    };
    await Promise.all(Array.from({ length: ISSUERS }, worker));
    const list = await firstValueFrom(
      client.send<CouponView[]>(CouponPatterns.list, withAuth({})).pipe(timeout(5000)),
    );
    client.close();
    const view = list.find((c) => c.code === 'DIRECT01');
    figures.directIssued = outcomes.issued ?? 0;
    figures.directPerSec = Math.round((outcomes.issued ?? 0) / ((lastIssued - t0) / 1000));
    figures.directOutcomes = JSON.stringify(outcomes);
    figures.directRemaining = view?.remaining ?? NaN;
    const rows = await b.countWallet('DIRECT01');
    figures.directRows = rows;
    if (rows > 10_000 || (outcomes.issued ?? 0) !== rows)
      throw new Error(`oversell or mismatch: ${rows} rows, ${outcomes.issued} issued`);
  },
};

const endToEnd: Phase = {
  name: 'issue end to end through the gateway (admitted tickets)',
  needsStack: true,
  async run(b) {
    const { figures } = b;
    // opened before the first ticket: the admitter re-reads a line's rate only between token waits
    await b.setRate('E2E00001', 100000, 100000);
    const users = 3000;
    const tickets: { userId: string; ticket: string }[] = [];
    let k = 0;
    await Promise.all(
      Array.from({ length: 50 }, async () => {
        while (k < users) {
          const userId = `g-${RID}-${k++}`;
          const r = await b.post('E2E00001', userId);
          if (r.status === 307) tickets.push({ userId, ticket: String(r.body?.ticket) });
        }
      }),
    );
    const deadline = Date.now() + 30_000;
    for (;;) {
      const o = await b.lineOffsets('E2E00001');
      if (o.committed >= o.end) break;
      if (Date.now() > deadline)
        throw new Error(`admission did not reach the tail in 30 s (${o.committed}/${o.end})`);
      await sleep(100);
    }
    const counts: Record<number, number> = {};
    let i = 0;
    let last201 = 0;
    const t0 = Date.now();
    await Promise.all(
      Array.from({ length: ISSUERS }, async () => {
        while (i < tickets.length) {
          const t = tickets[i++];
          const r = await b.post('E2E00001', t.userId, t.ticket);
          counts[r.status] = (counts[r.status] ?? 0) + 1;
          if (r.status === 201) last201 = Date.now();
        }
      }),
    );
    figures.e2eIssued = counts[201] ?? 0;
    figures.e2ePerSec = Math.round((counts[201] ?? 0) / ((last201 - t0) / 1000));
    figures.e2eStatuses = JSON.stringify(counts);
    figures.e2eRows = await b.countWallet('E2E00001');
    if (Number(figures.e2eRows) > 3000)
      throw new Error(`oversell: ${figures.e2eRows} rows for 3000`);
  },
};

const naive: Phase = {
  name: 'naive baseline (SETNX lock around check-then-insert)',
  needsStack: false,
  async run(b) {
    const { figures } = b;
    const pool = new Pool({ ...b.pg(b.naiveDb), max: 20 });
    const redis = b.redis(b.naiveRedisPrefix);
    try {
      const naive = new NaiveIssuer(pool, redis);
      await naive.setup('NAIVE', 10000);
      let n = 0;
      let issued = 0;
      const stopAt = Date.now() + DURATION * 1000;
      const t0 = Date.now();
      await Promise.all(
        Array.from({ length: ISSUERS }, async () => {
          while (Date.now() < stopAt && issued < 10000) {
            if ((await naive.issue('NAIVE', `n-${RID}-${n++}`)) === 'issued') issued++;
          }
        }),
      );
      figures.naivePerSec = Math.round(issued / ((Date.now() - t0) / 1000));
      figures.naiveIssued = issued;
      figures.naiveRows = await naive.count('NAIVE');
    } finally {
      await pool.end();
      redis.disconnect();
    }
  },
};

/**
 * PostgreSQL's own insert rate, the baseline issuance is judged by: single-row prepared
 * INSERTs into a table with the wallet's unique (coupon_code, user_id) constraint, on as
 * many connections as the coupon service's pool (POSTGRES_POOL_SIZE), ISSUERS callers,
 * fsync and synchronous_commit as the server has them, for DURATION s.
 */
const pgInsert: Phase = {
  name: 'postgres insert baseline (prepared single-row INSERT, unique constraint)',
  needsStack: false,
  async run(b) {
    const { figures } = b;
    const connections = Number(b.base.POSTGRES_POOL_SIZE);
    const pool = new Pool({ ...b.pg(b.db), max: connections });
    try {
      await pool.query(
        `CREATE TABLE IF NOT EXISTS bench_insert (
           id bigserial PRIMARY KEY, coupon_code varchar(32) NOT NULL, user_id varchar(64) NOT NULL,
           issued_at timestamptz NOT NULL DEFAULT now(), UNIQUE (coupon_code, user_id))`,
      );
      let n = 0;
      let inserted = 0;
      const stopAt = Date.now() + DURATION * 1000;
      const t0 = Date.now();
      await Promise.all(
        Array.from({ length: ISSUERS }, async () => {
          while (Date.now() < stopAt) {
            await pool.query({
              name: 'bench-insert',
              text: 'INSERT INTO bench_insert (coupon_code, user_id) VALUES ($1, $2)',
              values: ['PGBASE01', `p-${RID}-${n++}`],
            });
            inserted++;
          }
        }),
      );
      figures.pgInsertPerSec = Math.round(inserted / ((Date.now() - t0) / 1000));
      figures.pgInsertConnections = connections;
    } finally {
      await pool.query('DROP TABLE IF EXISTS bench_insert').catch(() => undefined);
      await pool.end();
    }
  },
};

export const issuePhases: Phase[] = [pgInsert, direct, endToEnd, naive];
