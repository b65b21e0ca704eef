/**
 * HTTP throughput against a bare route of the same stack: the baseline (the project's own
 * createHttpApp with one trivial route, bench/bare-app.ts), then the gateway's first
 * request (enqueue, unique users) and its poll (re-POST with the ticket, not yet admitted).
 * Only correct answers count (307 with a ticket for enqueue and poll).
 */
import { Phase, RID } from '../stack';

export function throughputPhases(): Phase[] {
  let bareRps = NaN;
  const captured: { ticket: string; userId: string }[] = [];
  return [
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
              setupRequest: (req, ctx) => {
                ctx.userId = `e-${RID}-${n++}`;
                return { ...req, body: JSON.stringify({ userId: ctx.userId }) };
              },
              onResponse: (status, _body, ctx, headers) => {
                if (status === 307 && captured.length < 5000) {
                  captured.push({ ticket: headers['x-queue-ticket'], userId: String(ctx.userId) });
                }
              },
            },
          ],
        });
        figures.enqueueRps = Math.round(r['3xx'] / r.duration);
        figures.enqueueP50 = r.latency.p50;
        figures.enqueueP99 = r.latency.p99;
        figures.enqueueOther = r.requests.total - r['3xx'];
        figures.enqueueRatio = `${((100 * r['3xx']) / r.duration / bareRps).toFixed(0)}%`;
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
        figures.pollRatio = `${((100 * r['3xx']) / r.duration / bareRps).toFixed(0)}%`;
      },
    },
  ];
}
