/**
 * The origin cost of waiting: N waiters of one moving line held for WINDOW_S seconds,
 * once on Server-Sent Events (GET /api/queue/tickets/{uuid}/events) and once polling
 * GET /api/queue/tickets/{uuid} at the pollAfterMs each answer gives. Every run has a
 * gateway process of its own (started like the bench's other apps), and only that
 * process's CPU (utime + stime from /proc/<pid>/stat) and RSS (VmRSS) are read; the
 * load runs in forked client processes (bench/waiter-client.ts), at most
 * PER_CLIENT connections each, so neither side passes the per-process open-file limit.
 *
 * The line: a coupon of its own, opened at 1 admission a second before the first
 * ticket, HEAD real tickets at its head (never connected: they are what gets admitted)
 * and the waiters behind them, so the line moves (one `line` event a second, the
 * gateway's SSE_MIN_UPDATE_MS) while no waiter reaches the head.
 */
import { ChildProcess, execFileSync, fork } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { Client } from 'pg';
import { freePort, stopProcess, waitFor } from '../../test/support/common';
import {
  BenchStack,
  Figures,
  formatter,
  log,
  Phase,
  RID,
  rssMiB,
  sleep,
  waitReady,
} from '../stack';
import { ClientStats, emptyStats, Waiter } from '../waiter-client';

export const WAITERS_LINE = 'WAIT0001';
/** Seconds every run is measured over. */
export const WINDOW_S = Number(process.env.BENCH_WAITERS_WINDOW ?? 30);
/** The gateway each run starts, and the load client it forks (both built beside this file). */
const GATEWAY_JS = path.join(__dirname, '..', '..', 'apps', 'queue-gateway', 'src', 'main.js');
const CLIENT_JS = path.join(__dirname, '..', 'waiter-client.js');
/** Admissions a second on the waiters' line: slow, so the line moves but nobody reaches the head. */
const RATE = 1;
/** Tickets at the head of the line, in front of every waiter (admitted at RATE/s during the phase). */
const HEAD = 1000;
/** Connections per client process (their open-file limit is the same as the gateway's). */
const PER_CLIENT = 5000;
/** Open files a gateway needs besides the waiters' sockets (Kafka, Redis, coupon service, logs...). */
const GATEWAY_SPARE_FDS = 500;

/** The hard limit on open files per process (`ulimit -Hn`), which nobody here can raise. */
export function hardFdLimit(): number {
  const out = execFileSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).trim();
  return out === 'unlimited' ? Infinity : Number(out);
}

/** 1,000, 10,000 and the most waiters one gateway process can hold (the target is 20,000). */
export function waiterCounts(): number[] {
  if (process.env.BENCH_WAITERS) return process.env.BENCH_WAITERS.split(',').map(Number);
  const most = Math.min(20_000, Math.floor((hardFdLimit() - GATEWAY_SPARE_FDS) / 500) * 500);
  return [...new Set([1000, 10_000, most])].filter((n) => n > 0 && n <= most);
}

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/** utime and stime of a process (all its threads), in seconds. */
function cpuSeconds(pid: number): { user: number; sys: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): utime is field 14, stime field 15
  return { user: Number(fields[11]) / CLK_TCK, sys: Number(fields[12]) / CLK_TCK };
}

const openFiles = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;

/** sse: the gateway's default pace; sse1s: one line update a second to every stream (SSE_MAX_UPDATE_MS=1000). */
type Mode = 'sse' | 'sse1s' | 'poll';

interface RunResult {
  n: number;
  mode: Mode | 'idle';
  seconds: number;
  /** utime + stime over the window, and the stime part of it. */
  cpu: number;
  sys: number;
  rssBefore: number;
  rssDuring: number;
  fdsDuring: number;
  stats: ClientStats;
  /** SSE streams answered 200 when the waiters came, and how long opening them took. */
  opened: number;
  openSeconds: number;
  committedMoved: number;
}

// ---------------------------------------------------------------- the phase

export const waitersPhase: Phase = {
  name: 'waiters: SSE vs polling, gateway CPU and RSS',
  needsStack: true,
  run: measure,
};

async function measure(ctx: BenchStack): Promise<void> {
  const counts = waiterCounts();
  const most = Math.max(...counts);
  const { figures } = ctx;
  figures.waitersCounts = counts.join(',');
  figures.waitersFdLimit = String(hardFdLimit());
  figures.waitersWindow = WINDOW_S;

  // the line: a coupon of this phase's own, opened (1/s) before its first ticket
  const pg = new Client(ctx.pg(ctx.db));
  await pg.connect();
  try {
    await pg.query(
      `INSERT INTO coupon (code, name, discount, quantity) VALUES ($1, 'bench: waiters', 1, 100000)
       ON CONFLICT DO NOTHING`,
      [WAITERS_LINE],
    );
  } finally {
    await pg.end();
  }
  await waitFor(
    async () => (await fetch(`${ctx.gw}/api/lines/${WAITERS_LINE}`)).ok,
    30_000,
    `line ${WAITERS_LINE}`,
    250,
  );
  await ctx.setRate(WAITERS_LINE, RATE, 1);

  // HEAD + most real tickets through the gateway's issue route
  const t0 = Date.now();
  const all: Waiter[] = [];
  let k = 0;
  const bad: Record<number, number> = {};
  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
  try {
    await Promise.all(
      Array.from({ length: 100 }, async () => {
        while (k < HEAD + most) {
          const r = await issue(ctx.gw, agent, `w-${RID}-${k++}`);
          if (r.status !== 307) {
            bad[r.status] = (bad[r.status] ?? 0) + 1;
            continue;
          }
          const b = JSON.parse(r.body) as Record<string, unknown>;
          all.push({
            uuid: String(b.uuid),
            ticket: String(b.ticket),
            offset: Number(b.offset),
            pollAfterMs: Number(b.pollAfterMs),
          });
        }
      }),
    );
  } finally {
    agent.destroy();
  }
  if (Object.keys(bad).length)
    throw new Error(`enqueue answers other than 307: ${JSON.stringify(bad)}`);
  all.sort((a, b) => a.offset - b.offset);
  const waiters = all.slice(HEAD);
  figures.waitersEnqueueSeconds = ((Date.now() - t0) / 1000).toFixed(1);
  figures.waitersFirstOffset = waiters[0].offset;
  const afters = waiters.map((w) => w.pollAfterMs);
  const [lo, hi] = [Math.min(...afters), Math.max(...afters)];
  figures.waitersPollAfterMs = lo === hi ? `${lo} ms` : `${lo}-${hi} ms`;
  log(
    `waiters: ${all.length} tickets in ${figures.waitersEnqueueSeconds}s, waiters from offset ${waiters[0].offset}`,
  );

  // a run that fails is reported as such; the others still count
  const results: RunResult[] = [];
  const failed: string[] = [];
  const plan = [
    ['idle', 0] as const,
    ...counts.flatMap((n) => [['sse', n] as const, ['poll', n] as const]),
    ['sse1s', Math.max(...counts)] as const,
  ];
  for (const [mode, n] of plan) {
    try {
      results.push(await run(ctx, mode, n, waiters.slice(waiters.length - n)));
    } catch (e) {
      failed.push(`${mode} ${n}: ${(e as Error).message}`);
      log(`waiters: ${mode} ${n} FAILED: ${(e as Error).message}`);
    }
  }
  const idleRun = results.find((r) => r.mode === 'idle');
  const line = await lineState(ctx.gw);
  figures.waitersFinalCommitted = line.committed;
  if (line.committed > waiters[0].offset)
    throw new Error(`the head reached the waiters (committed ${line.committed})`);

  for (const r of results) {
    const key = r.mode === 'idle' ? 'wIdle' : `w_${r.mode}_${r.n}`;
    const s = r.stats;
    figures[`${key}Cpu`] = r.cpu.toFixed(2);
    figures[`${key}Sys`] = r.sys.toFixed(2);
    figures[`${key}Share`] = `${((100 * r.cpu) / r.seconds).toFixed(1)}%`;
    figures[`${key}RssBefore`] = Math.round(r.rssBefore);
    figures[`${key}RssDuring`] = Math.round(r.rssDuring);
    figures[`${key}Fds`] = r.fdsDuring;
    figures[`${key}Seconds`] = r.seconds.toFixed(1);
    figures[`${key}Moved`] = r.committedMoved;
    if (r.mode === 'idle') continue;
    // what the waiters cost beyond an idle gateway, per update a waiter received
    const updates = r.mode !== 'poll' ? s.lineEvents : s.polls;
    if (idleRun && updates) {
      const net = r.cpu - (idleRun.cpu / idleRun.seconds) * r.seconds;
      figures[`${key}UsPerUpdate`] = Math.round((1e6 * net) / updates);
    }
    const waiterMinutes = (r.n * r.seconds) / 60;
    figures[`${key}PerWaiterMin`] = ((1000 * r.cpu) / waiterMinutes).toFixed(3);
    figures[`${key}RssPer1k`] = (((r.rssDuring - r.rssBefore) * 1000) / r.n).toFixed(1);
    if (r.mode !== 'poll') {
      figures[`${key}Opened`] = r.opened;
      figures[`${key}OpenSeconds`] = r.openSeconds.toFixed(1);
      figures[`${key}LineEvents`] = s.lineEvents;
      figures[`${key}EventsPerWaiterSec`] = (s.lineEvents / r.n / r.seconds).toFixed(2);
      figures[`${key}KeepAlives`] = s.keepAlives;
      figures[`${key}MiBps`] = (s.bytes / 2 ** 20 / r.seconds).toFixed(2);
      figures[`${key}Lost`] = s.closed + s.errors + s.outcomes;
    } else {
      figures[`${key}Polls`] = s.polls;
      figures[`${key}PollsPerSec`] = Math.round(s.polls / r.seconds);
      figures[`${key}PollOk`] = s.pollStatuses['200'] ?? 0;
      figures[`${key}PollOther`] = s.polls - (s.pollStatuses['200'] ?? 0) + s.pollErrors;
      figures[`${key}PollMs`] = s.polls ? (s.pollMsSum / s.polls).toFixed(1) : 'n/a';
    }
  }
  for (const n of counts) {
    const sse = Number(figures[`w_sse_${n}PerWaiterMin`]);
    const poll = Number(figures[`w_poll_${n}PerWaiterMin`]);
    if (!(sse > 0 && poll > 0)) continue;
    figures[`w_ratio_${n}`] = (poll / sse).toFixed(1);
    const idle = Number(figures.wIdleCpu);
    const net = (mode: Mode) => Number(figures[`w_${mode}_${n}Cpu`]) - idle;
    if (net('sse') > 0) figures[`w_ratioNet_${n}`] = (net('poll') / net('sse')).toFixed(1);
  }
  if (failed.length) throw new Error(`runs that failed: ${failed.join('; ')}`);
}

/** POST /api/coupons/{WAITERS_LINE}/issue without a ticket (node:http: fetch costs the bench more CPU). */
function issue(base: string, agent: http.Agent, userId: string) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const body = JSON.stringify({ userId });
    const req = http.request(
      `${base}/api/coupons/${WAITERS_LINE}/issue`,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        timeout: 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('issue timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

async function lineState(base: string): Promise<{ committed: number; end: number }> {
  const res = await fetch(`${base}/api/lines/${WAITERS_LINE}`);
  const body = (await res.json()) as {
    partitions: { committedOffset: number; endOffset: number }[];
  };
  return {
    committed: body.partitions.reduce((s, p) => s + p.committedOffset, 0),
    end: body.partitions.reduce((s, p) => s + p.endOffset, 0),
  };
}

/** One measured run on a fresh gateway process: `n` waiters by `mode` (or none: idle). */
async function run(
  ctx: BenchStack,
  mode: Mode | 'idle',
  n: number,
  waiters: Waiter[],
): Promise<RunResult> {
  const label = mode === 'idle' ? 'idle gateway' : `${n.toLocaleString('en')} waiters, ${mode}`;
  log(`waiters: ${label}...`);
  const port = await freePort();
  const gateway = ctx.start(`gateway-waiters-${mode}-${n}`, GATEWAY_JS, {
    ...ctx.env,
    GATEWAY_PORT: String(port),
    SSE_MAX_CONNECTIONS: String(Math.max(25_000, n + 1000)),
    // the gateway's default: an open stream beats for its ticket every 10 s (the bench's
    // other gateways use 3600 s so the admitter never skips the long lines' filler records)
    ABANDON_AFTER_SECONDS: '30',
    ...(mode === 'sse1s' ? { SSE_MAX_UPDATE_MS: '1000' } : {}),
  });
  const pid = gateway.pid!;
  const clients: ChildProcess[] = [];
  try {
    await waitReady(`http://127.0.0.1:${port}/health/ready`);
    // the new process tracks the line from its catalogue: wait until it serves it
    await waitFor(
      async () => (await fetch(`http://127.0.0.1:${port}/api/lines/${WAITERS_LINE}`)).ok,
      30_000,
    );
    await sleep(2000);
    const rssBefore = rssMiB(pid);
    let opened = 0;
    let openSeconds = 0;

    for (let i = 0; i < waiters.length; i += PER_CLIENT) {
      const child = fork(CLIENT_JS, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      clients.push(child);
    }
    const slices = clients.map((_, i) => waiters.slice(i * PER_CLIENT, (i + 1) * PER_CLIENT));
    if (mode === 'sse' || mode === 'sse1s') {
      const t = Date.now();
      const answers = await Promise.all(
        clients.map((c, i) => call<ClientStats>(c, { cmd: 'sse', port, waiters: slices[i] })),
      );
      opened = answers.reduce((s, x) => s + x.opened, 0);
      openSeconds = (Date.now() - t) / 1000;
      log(`waiters: ${opened}/${n} streams open in ${openSeconds.toFixed(1)}s`);
      if (opened !== n) {
        const statuses = answers.map((x) => JSON.stringify(x.openStatuses)).join(' ');
        throw new Error(`only ${opened} of ${n} event streams opened (statuses ${statuses})`);
      }
      await sleep(2000);
    } else if (mode === 'poll') {
      await Promise.all(
        clients.map((c, i) => call<ClientStats>(c, { cmd: 'poll', port, waiters: slices[i] })),
      );
      // every waiter starts at a random moment within its first pollAfterMs: wait a whole cycle
      await sleep(Math.max(...waiters.map((w) => w.pollAfterMs)) + 2000);
    }

    const before = await clientStats(clients);
    const line0 = await lineState(ctx.gw);
    const cpu0 = cpuSeconds(pid);
    const t0 = process.hrtime.bigint();
    let rssDuring = rssMiB(pid);
    let fdsDuring = openFiles(pid);
    for (let s = 0; s < WINDOW_S; s++) {
      await sleep(1000);
      rssDuring = Math.max(rssDuring, rssMiB(pid));
      if (s === 0) fdsDuring = openFiles(pid);
    }
    const cpu1 = cpuSeconds(pid);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const after = await clientStats(clients);
    const line1 = await lineState(ctx.gw);
    const result: RunResult = {
      n,
      mode,
      seconds,
      cpu: cpu1.user + cpu1.sys - cpu0.user - cpu0.sys,
      sys: cpu1.sys - cpu0.sys,
      rssBefore,
      rssDuring,
      fdsDuring,
      stats: diff(after, before),
      opened,
      openSeconds,
      committedMoved: line1.committed - line0.committed,
    };
    log(
      `waiters: ${label}: CPU ${result.cpu.toFixed(2)} s in ${seconds.toFixed(1)} s, RSS ${Math.round(rssBefore)} -> ${Math.round(rssDuring)} MiB, ${fdsDuring} fds, line moved ${result.committedMoved}, client ${JSON.stringify(result.stats)}`,
    );
    return result;
  } finally {
    await Promise.all(clients.map((c) => stopProcess(c, 'SIGKILL')));
    await stopProcess(gateway, 'SIGTERM');
  }
}

async function clientStats(clients: ChildProcess[]): Promise<ClientStats> {
  const all = await Promise.all(clients.map((c) => call<ClientStats>(c, { cmd: 'stats' })));
  return all.reduce((a, b) => diff(a, b, 1), emptyStats());
}

/** a - b, or a + b with sign 1. */
function diff(a: ClientStats, b: ClientStats, sign = -1): ClientStats {
  const out = emptyStats();
  for (const k of Object.keys(out) as (keyof ClientStats)[]) {
    if (typeof out[k] === 'number') {
      (out as unknown as Record<string, number>)[k] = (a[k] as number) + sign * (b[k] as number);
    } else {
      const m: Record<string, number> = {};
      const x = a[k] as Record<string, number>;
      const y = b[k] as Record<string, number>;
      for (const s of new Set([...Object.keys(x), ...Object.keys(y)]))
        m[s] = (x[s] ?? 0) + sign * (y[s] ?? 0);
      (out as unknown as Record<string, Record<string, number>>)[k] = m;
    }
  }
  return out;
}

let callId = 0;
/** A request to a client process and its answer (bounded in time). */
function call<T>(child: ChildProcess, msg: Record<string, unknown>, ms = 120_000): Promise<T> {
  const id = ++callId;
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.off('message', onMessage);
      reject(new Error(`client ${child.pid} did not answer ${String(msg.cmd)} in ${ms / 1000}s`));
    }, ms);
    const onMessage = (m: { id: number; result: T }) => {
      if (m.id !== id) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(m.result);
    };
    child.on('message', onMessage);
    child.send({ ...msg, id });
  });
}

// ---------------------------------------------------------------- the report

export function waitersSection(figures: Figures): string {
  if (figures.waitersCounts === undefined) return '';
  const f = formatter(figures);
  const counts = String(figures.waitersCounts).split(',').map(Number);
  const most = Math.max(...counts);
  const fmt = (n: number) => n.toLocaleString('en');
  const how = { sse: 'SSE (default pace)', sse1s: 'SSE, one update a second', poll: 'polling' };
  const runs: Array<[number, Mode[]]> = [
    ...counts.map((n): [number, Mode[]] => [n, ['sse', 'poll']]),
    [most, ['sse1s']],
  ];
  const rows = runs.flatMap(([n, modes]) =>
    modes.map((mode) => {
      const k = `w_${mode}_${n}`;
      const got =
        mode !== 'poll'
          ? `${f(`${k}Opened`)} streams (opened in ${f(`${k}OpenSeconds`)} s); ${f(`${k}LineEvents`)} line events (${f(`${k}EventsPerWaiterSec`)}/waiter/s), ${f(`${k}KeepAlives`)} keep-alives, ${f(`${k}MiBps`)} MiB/s; streams lost ${f(`${k}Lost`)}`
          : `${f(`${k}Polls`)} polls (${f(`${k}PollsPerSec`)}/s, ${f(`${k}PollOk`)} x 200, other ${f(`${k}PollOther`)}), mean ${f(`${k}PollMs`)} ms`;
      return `| ${fmt(n)} | ${how[mode]} | ${f(`${k}Cpu`)} (${f(`${k}Sys`)}) | ${f(`${k}Share`)} | ${f(`${k}PerWaiterMin`)} | ${f(`${k}RssBefore`)} | ${f(`${k}RssDuring`)} | ${f(`${k}RssPer1k`)} | ${f(`${k}Fds`)} | ${f(`${k}Moved`)} | ${got} |`;
    }),
  );
  const sseShare = parseFloat(f(`w_sse1s_${most}Share`));
  const sseRss = Number(figures[`w_sse1s_${most}RssDuring`]);
  const met = (ok: boolean, measured = true) => (!measured ? 'n/a' : ok ? 'met' : 'NOT met');
  const ratios = counts
    .map((n) => `${fmt(n)}: ${f(`w_ratio_${n}`, 'x')} (net of idle ${f(`w_ratioNet_${n}`, 'x')})`)
    .join('; ');
  const allTenfold = counts.every((n) => Number(figures[`w_ratio_${n}`]) >= 10);
  const allRatios = counts.every((n) => figures[`w_ratio_${n}`] !== undefined);
  return `
## The origin cost of waiting: SSE vs polling

N waiters of one line, each with a real ticket (POST /api/coupons/{code}/issue through the bench's
gateway, ${f('waitersEnqueueSeconds', ' s')} for ${fmt(1000 + most)} tickets), at the back of a line
admitting 1 a second (the first waiter at offset ${f('waitersFirstOffset')}; the tickets in front are never
connected; the admitter's committed offset ended at ${f('waitersFinalCommitted')}, so no waiter was admitted). Every run
has a gateway process of its own (SSE_MAX_CONNECTIONS ${fmt(Math.max(25_000, most + 1000))}, SSE_MIN_UPDATE_MS,
SSE_MAX_UPDATE_MS and SSE_KEEPALIVE_SECONDS at their defaults except in the "one update a second" run, ABANDON_AFTER_SECONDS 30 so an open stream beats every 10 s); only its
pid is measured, over ${f('waitersWindow', ' s')}: CPU = utime + stime from /proc/<pid>/stat, RSS = VmRSS before the
waiters came (after boot) and the most seen during the window. The waiters run in forked client processes
(raw node:http, at most 5,000 connections each). SSE: one \`GET /api/queue/tickets/{uuid}/events\` stream
per waiter (X-Queue-Ticket header, agent: false), counted in bytes and event markers. Polling: \`GET
/api/queue/tickets/{uuid}\` per waiter on its own keep-alive connection (as a browser tab has), each waiter
waiting the pollAfterMs of its last answer (${f('waitersPollAfterMs')} at enqueue this far back), first polls spread over one
interval, measured after one whole interval.

This machine's hard limit on open files is ${f('waitersFdLimit')} per process (\`ulimit -Hn\`, cannot be raised),
so one gateway holds at most ~19,900 sockets: the largest N here is ${fmt(most)}, not the 20,000 of the target.

| waiters | how | gateway CPU s (of it system) | of one core | CPU ms per waiter-minute | RSS before MiB | RSS during MiB | RSS MiB per 1,000 waiters | gateway fds | line moved | received in the window |
| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |
| 0 (idle) | - | ${f('wIdleCpu')} (${f('wIdleSys')}) | ${f('wIdleShare')} | - | ${f('wIdleRssBefore')} | ${f('wIdleRssDuring')} | - | ${f('wIdleFds')} | ${f('wIdleMoved')} | - |
${rows.join('\n')}

Polling / SSE, CPU per waiter-minute: ${ratios} (target >= 10x: ${met(allTenfold, allRatios)}).

Per update a waiter receives (gateway CPU net of the idle run): ${counts
    .map(
      (n) =>
        `${fmt(n)}: SSE ${f(`w_sse_${n}UsPerUpdate`, ' µs')} per line event, polling ${f(`w_poll_${n}UsPerUpdate`, ' µs')} per poll`,
    )
    .join('; ')}. By default a stream
gets line updates at the pace a poller is told to poll (a quarter of its remaining wait, 1 s near the head,
at most SSE_MAX_UPDATE_MS = 10 s far back; its outcome at once), so both ways tell a waiter this far back its
place about as often and the ratio is the cost of the same information. The "one update a second" run
(SSE_MAX_UPDATE_MS=1000) sends every stream the line's state every second, ten times what a poller here asks for. On loopback the gateway's system time also holds
the receiving side of TCP for its writes (a softirq in the writer's context, charged to the writer by
this kernel's tick accounting without CONFIG_IRQ_TIME_ACCOUNTING); a real network moves that to the clients.

Targets for ${fmt(most)} SSE waiters (20,000 in the target) on one gateway process at one update a second:
under one core: ${f(`w_sse1s_${most}Share`)} of one core, ${met(sseShare < 100, !Number.isNaN(sseShare))}; under 1 GiB RSS: ${f(`w_sse1s_${most}RssDuring`, ' MiB')}, ${met(sseRss < 1024, !Number.isNaN(sseRss))}.
`;
}
