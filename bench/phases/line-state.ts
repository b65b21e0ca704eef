/**
 * The cached line state, GET /api/lines/{code} (a buffer serialised once per change),
 * against the least any node server can do: a raw node:http server, in a process of
 * its own, answering a GET with a body of the same bytes and the same caching headers.
 * Same autocannon settings as the bench's other HTTP figures. Also the 304 path
 * (If-None-Match with the current ETag). The server is bench/raw-http-server.ts.
 */
import path from 'node:path';
import { freePort } from '../../test/support/common';
import { BenchStack, CONNECTIONS, DURATION, Figures, formatter, Phase, waitAnswer } from '../stack';

/** A line whose state does not move during the phase (its ETag must hold for the 304 figure). */
const LINE = 'A0001';

export const lineStatePhase: Phase = {
  name: 'linestate: cached GET /api/lines/{code} vs raw node:http',
  needsStack: true,
  run: (b) => measure(b, LINE),
};

async function measure(ctx: BenchStack, line: string): Promise<void> {
  const { figures } = ctx;
  const url = `${ctx.gw}/api/lines/${line}`;
  // A line that just saw traffic still changes for a while (its smoothed admission rate
  // decays): wait until its ETag has held for 3 s (at most 60 s), so the 304 figure holds.
  let first = await fetch(url);
  for (let still = Date.now(), deadline = Date.now() + 60_000; Date.now() - still < 3000;) {
    if (Date.now() > deadline) throw new Error(`the state of line ${line} kept changing`);
    await new Promise((r) => setTimeout(r, 250));
    const next = await fetch(url);
    if (next.headers.get('etag') !== first.headers.get('etag')) still = Date.now();
    first = next;
  }
  if (first.status !== 200) throw new Error(`GET ${url} answered ${first.status}`);
  const body = Buffer.from(await first.arrayBuffer());
  const etag = first.headers.get('etag') ?? '';
  const cacheControl = first.headers.get('cache-control') ?? '';
  figures.lsLine = line;
  figures.lsBytes = body.length;
  figures.lsCacheControl = cacheControl;

  const port = await freePort();
  const raw = ctx.start('raw-http', path.join(__dirname, '..', 'raw-http-server.js'), {
    ...ctx.env,
    RAW_PORT: String(port),
    RAW_BODY: body.toString('base64'),
    RAW_ETAG: etag,
    RAW_CACHE_CONTROL: cacheControl,
  });
  try {
    await waitAnswer(`http://127.0.0.1:${port}/`);
    const rawCheck = Buffer.from(await (await fetch(`http://127.0.0.1:${port}/`)).arrayBuffer());
    if (!rawCheck.equals(body)) throw new Error('the raw server does not answer the same body');

    const r0 = await ctx.cannon({ url: `http://127.0.0.1:${port}/`, method: 'GET' });
    const rawRps = r0['2xx'] / r0.duration;
    figures.lsRawRps = Math.round(rawRps);
    figures.lsRawP50 = r0.latency.p50;
    figures.lsRawP99 = r0.latency.p99;

    const r1 = await ctx.cannon({ url, method: 'GET' });
    figures.lsRps = Math.round(r1['2xx'] / r1.duration);
    figures.lsP50 = r1.latency.p50;
    figures.lsP99 = r1.latency.p99;
    figures.lsOther = r1.requests.total - r1['2xx'];
    figures.lsRatio = `${((100 * r1['2xx']) / r1.duration / rawRps).toFixed(0)}%`;

    const r2 = await ctx.cannon({ url, method: 'GET', headers: { 'if-none-match': etag } });
    figures.ls304Rps = Math.round(r2['3xx'] / r2.duration);
    figures.ls304P50 = r2.latency.p50;
    figures.ls304P99 = r2.latency.p99;
    figures.ls304Other = r2.requests.total - r2['3xx'];
    figures.ls304Ratio = `${((100 * r2['3xx']) / r2.duration / rawRps).toFixed(0)}%`;

    const last = await fetch(url);
    if (last.headers.get('etag') !== etag)
      throw new Error(
        `the line moved during the phase (ETag ${etag} -> ${last.headers.get('etag')})`,
      );
  } finally {
    raw.kill('SIGTERM');
  }
}

export function lineStateSection(figures: Figures): string {
  if (figures.lsBytes === undefined) return '';
  const f = formatter(figures);
  const ratio = parseFloat(f('lsRatio'));
  return `
## The cached line state against a raw node:http server

\`GET /api/lines/${f('lsLine')}\` answers from a buffer serialised once per change of the line
(${f('lsBytes')} bytes, \`Cache-Control: ${f('lsCacheControl')}\`, strong ETag). The baseline is a raw
\`node:http\` server in a process of its own answering every GET with the same bytes and the same
Content-Type, Cache-Control and ETag (bench/raw-http-server.ts). autocannon ${CONNECTIONS} connections x ${DURATION} s
after a 2 s warm-up, as above; only 200s (304s on the last line) count.

| what | req/s | p50 ms | p99 ms | of raw node:http | target |
| --- | ---: | ---: | ---: | ---: | ---: |
| raw node:http, same body (baseline) | ${f('lsRawRps')} | ${f('lsRawP50')} | ${f('lsRawP99')} | 100% | |
| GET /api/lines/{code}, 200 from the cached buffer | ${f('lsRps')} | ${f('lsP50')} | ${f('lsP99')} | ${f('lsRatio')} | >= 80% |
| GET /api/lines/{code} with If-None-Match: the current ETag, 304 | ${f('ls304Rps')} | ${f('ls304P50')} | ${f('ls304P99')} | ${f('ls304Ratio')} | |

Other answers: 200 path ${f('lsOther')}, 304 path ${f('ls304Other')}. Target >= 80% of raw node:http: ${Number.isNaN(ratio) ? 'n/a' : ratio >= 80 ? 'met' : 'NOT met'}.
`;
}
