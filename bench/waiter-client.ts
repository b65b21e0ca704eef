/**
 * A load client of the waiters phase (bench/phases/waiters.ts), forked by it: holds SSE
 * streams or polls tickets as the parent asks over IPC, and reports its counters. It loads
 * node:http only, so each client costs the machine as little as it can.
 */
import http from 'node:http';

export interface Waiter {
  uuid: string;
  ticket: string;
  offset: number;
  pollAfterMs: number;
}

/** Counters of a client process (cumulative; the window is the difference of two readings). */
export interface ClientStats {
  opened: number;
  openFailed: number;
  openStatuses: Record<string, number>;
  bytes: number;
  lineEvents: number;
  keepAlives: number;
  outcomes: number;
  closed: number;
  errors: number;
  polls: number;
  pollStatuses: Record<string, number>;
  pollErrors: number;
  pollMsSum: number;
}

export function emptyStats(): ClientStats {
  return {
    opened: 0,
    openFailed: 0,
    openStatuses: {},
    bytes: 0,
    lineEvents: 0,
    keepAlives: 0,
    outcomes: 0,
    closed: 0,
    errors: 0,
    polls: 0,
    pollStatuses: {},
    pollErrors: 0,
    pollMsSum: 0,
  };
}

/** SSE streams each client process opens at a time. */
const OPENING = 100;

const LINE_MARK = Buffer.from('event: line\n');
const KEEP_ALIVE_MARK = Buffer.from(': keep-alive\n');
const OUTCOME_MARK = Buffer.from('event: outcome\n');

function countOf(chunk: Buffer, mark: Buffer): number {
  let n = 0;
  for (let i = chunk.indexOf(mark); i !== -1; i = chunk.indexOf(mark, i + mark.length)) n++;
  return n;
}

/** A forked load client: holds SSE streams or polls, and reports counters, as the parent asks. */
function clientMain(): void {
  const stats = emptyStats();
  const requests = new Set<http.ClientRequest>();
  const agents: http.Agent[] = [];
  let stopped = false;
  const timers = new Set<NodeJS.Timeout>();
  const end = () => {
    stopped = true;
    for (const t of timers) clearTimeout(t);
    for (const r of requests) r.destroy();
    for (const a of agents) a.destroy();
    process.exit(0);
  };
  // bounded whatever the parent does
  setTimeout(end, 10 * 60_000).unref();
  process.on('disconnect', end);

  const openStream = (port: number, w: Waiter) =>
    new Promise<void>((resolve) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          path: `/api/queue/tickets/${w.uuid}/events`,
          headers: { 'x-queue-ticket': w.ticket, accept: 'text/event-stream' },
          agent: false,
        },
        (res) => {
          const status = String(res.statusCode);
          stats.openStatuses[status] = (stats.openStatuses[status] ?? 0) + 1;
          if (res.statusCode === 200) stats.opened++;
          else stats.openFailed++;
          resolve();
          res.on('data', (chunk: Buffer) => {
            stats.bytes += chunk.length;
            stats.lineEvents += countOf(chunk, LINE_MARK);
            stats.keepAlives += countOf(chunk, KEEP_ALIVE_MARK);
            stats.outcomes += countOf(chunk, OUTCOME_MARK);
          });
          res.on('close', () => {
            requests.delete(req);
            if (!stopped) stats.closed++;
          });
        },
      );
      req.on('error', () => {
        if (!stopped) stats.errors++;
        requests.delete(req);
        resolve();
      });
      requests.add(req);
      req.end();
    });

  const poller = (port: number, w: Waiter) => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    agents.push(agent);
    const again = (ms: number) => {
      if (stopped) return;
      const t = setTimeout(() => {
        timers.delete(t);
        poll();
      }, ms);
      timers.add(t);
    };
    const poll = () => {
      const t0 = performance.now();
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          path: `/api/queue/tickets/${w.uuid}`,
          headers: { 'x-queue-ticket': w.ticket },
          agent,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            requests.delete(req);
            stats.polls++;
            stats.pollMsSum += performance.now() - t0;
            const status = String(res.statusCode);
            stats.pollStatuses[status] = (stats.pollStatuses[status] ?? 0) + 1;
            const m = /"pollAfterMs":(\d+)/.exec(Buffer.concat(chunks).toString('latin1'));
            again(m ? Number(m[1]) : w.pollAfterMs);
          });
        },
      );
      req.on('error', () => {
        requests.delete(req);
        if (stopped) return;
        stats.pollErrors++;
        again(w.pollAfterMs);
      });
      requests.add(req);
      req.end();
    };
    again(Math.random() * w.pollAfterMs);
  };

  process.on('message', (m: { id: number; cmd: string; port?: number; waiters?: Waiter[] }) => {
    const reply = (result: unknown) => process.send?.({ id: m.id, result });
    if (m.cmd === 'stats') return reply(stats);
    if (m.cmd === 'poll') {
      for (const w of m.waiters!) poller(m.port!, w);
      return reply(stats);
    }
    if (m.cmd === 'sse') {
      const queue = [...m.waiters!];
      void Promise.all(
        Array.from({ length: OPENING }, async () => {
          for (let w = queue.shift(); w; w = queue.shift()) await openStream(m.port!, w);
        }),
      ).then(() => reply(stats));
    }
  });
}

// waiters.ts imports this file for its types: only a forked client runs.
if (require.main === module) clientMain();
