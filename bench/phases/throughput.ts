/**
 * HTTP throughput against two baselines: a raw node:http server in a process of its own
 * (reads the same POST body, answers a 307 with a body the size of a poll's answer:
 * the least any node server can do, bench/raw-http-server.ts) and a bare route of the
 * same stack (the project's own createHttpApp with one trivial route, bench/bare-app.ts);
 * then the gateway's first request (enqueue, unique users) and its poll (re-POST with
 * the ticket, not yet admitted). Only correct answers count (307 with a ticket for
 * enqueue and poll).
 */
import path from 'node:path';
import { freePort } from '../../test/support/common';
import { Phase, RID, waitAnswer } from '../stack';

/** A poll's 307 body: the numbers and a ticket of the real length (about 400 characters). */
const POLL_LIKE_BODY = JSON.stringify({
  uuid: '5c61a618-825f-4639-9c2a-fa824bba54d1',
  partition: 0,
  offset: 123456,
  committedOffset: 120000,
  endOffset: 200000,
  ahead: 3456,
  behind: 76543,
  etaSeconds: 35,
  pollAfterMs: 8750,
  ticket: 'x'.repeat(400),
});

const pct = (part: number, whole: number) => `${((100 * part) / whole).toFixed(0)}%`;

export function throughputPhases(): Phase[] {
  let bareRps = NaN;
  let rawRps = NaN;
  const captured: { ticket: string; userId: string }[] = [];
  return [
    {
      name: 'raw node:http POST (baseline)',
      needsStack: false,
      async run(b) {
        const { figures } = b;
        const port = await freePort();
        const raw = b.start('raw-http-post', path.join(__dirname, '..', 'raw-http-server.js'), {
          ...b.env,
          RAW_PORT: String(port),
          RAW_STATUS: '307',
          RAW_BODY: Buffer.from(POLL_LIKE_BODY).toString('base64'),
        });
        try {
          await waitAnswer(`http://127.0.0.1:${port}/`);
          const r = await b.cannon({
            url: `http://127.0.0.1:${port}/api/coupons/A0001/issue`,
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ userId: 'bench-user' }),
          });
          rawRps = r['3xx'] / r.duration;
          figures.rawPostRps = Math.round(rawRps);
          figures.rawPostP50 = r.latency.p50;
          figures.rawPostP99 = r.latency.p99;
          figures.rawPostBytes = POLL_LIKE_BODY.length;
        } finally {
          raw.kill('SIGTERM');
        }
      },
    },
    {
      name: 'bare route (baseline)',
      needsStack: false,
      async run(b) {
        const { figures } = b;
        const r = await b.cannon({
          url: `http://127.0.0.1:${b.ports.bare}/bare`,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ userId: 'bench-user' }),
        });
        bareRps = r['2xx'] / r.duration;
        figures.bareRps = Math.round(bareRps);
        figures.bareP50 = r.latency.p50;
        figures.bareP99 = r.latency.p99;
        figures.bareRawRatio = pct(bareRps, rawRps);
      },
    },
    {
      name: 'enqueue (first requests, unique users)',
      needsStack: true,
      async run(b) {
        const { figures } = b;
        const warm = await b.post('A0001', `warm-${RID}`);
        if (warm.status !== 307)
          throw new Error(`first enqueue answered ${warm.status}: ${JSON.stringify(warm.body)}`);
        let n = 0;
        const r = await b.cannon({
          url: `${b.gw}/api/coupons/A0001/issue`,
          headers: { 'content-type': 'application/json' },
          requests: [
            {
              setupRequest: (req, context) => {
                const ctx = context as { userId?: string };
                ctx.userId = `e-${RID}-${n++}`;
                return { ...req, body: JSON.stringify({ userId: ctx.userId }) };
              },
              onResponse: (status, _body, context, headers) => {
                const ticket = headers?.['x-queue-ticket'];
                if (status === 307 && typeof ticket === 'string' && captured.length < 5000) {
                  captured.push({
                    ticket,
                    userId: String((context as { userId?: string }).userId),
                  });
                }
              },
            },
          ],
        });
        figures.enqueueRps = Math.round(r['3xx'] / r.duration);
        figures.enqueueP50 = r.latency.p50;
        figures.enqueueP99 = r.latency.p99;
        figures.enqueueOther = r.requests.total - r['3xx'];
        figures.enqueueRatio = pct(r['3xx'] / r.duration, bareRps);
        figures.enqueueRawRatio = pct(r['3xx'] / r.duration, rawRps);
      },
    },
    {
      name: 'poll (re-POST with ticket, not yet admitted)',
      needsStack: true,
      async run(b) {
        const { figures } = b;
        if (!captured.length) throw new Error('no tickets captured by the enqueue phase');
        let i = 0;
        const r = await b.cannon({
          url: `${b.gw}/api/coupons/A0001/issue`,
          requests: [
            {
              setupRequest: (req) => {
                const c = captured[i++ % captured.length];
                return {
                  ...req,
                  headers: { 'content-type': 'application/json', 'x-queue-ticket': c.ticket },
                  body: JSON.stringify({ userId: c.userId }),
                };
              },
            },
          ],
        });
        figures.pollRps = Math.round(r['3xx'] / r.duration);
        figures.pollP50 = r.latency.p50;
        figures.pollP99 = r.latency.p99;
        figures.pollOther = r.requests.total - r['3xx'];
        figures.pollRatio = pct(r['3xx'] / r.duration, bareRps);
        figures.pollRawRatio = pct(r['3xx'] / r.duration, rawRps);
      },
    },
  ];
}
