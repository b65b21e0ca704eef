/// <reference lib="dom" />
// The browser waiting page (docs/waiting-page.md) in a real browser: Debian's
// Chromium driven by playwright-core, against the whole product — the gateway
// (listening on a real port) and the admitter in-process, the coupon service as
// a real process, on the real Kafka, Redis and PostgreSQL. Run `npm run build`
// first (dist/web holds the page; dist/ the coupon service).
// Screenshots land in reports/screenshots/; with UPDATE_DOCS_SCREENSHOT=1 one goes to docs/waiting-page.png.
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import type Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import request from 'supertest';
import { Env } from '@app/config';
import { RedisKeys } from '@app/queue';
import { REDIS } from '@app/redis';
import { AdmitterHandle, startAdmitter } from '../support/admitter-harness';
import { launchBrowser, TestBrowser } from '../support/browser';
import { CouponInstance, CouponTestWorld, ROOT } from '../support/coupon-harness';
import { dropGatewayState, gatewayEnv, startGateway, waitFor } from '../support/gateway-harness';

jest.setTimeout(60_000);

/** Filled by API clients while paused, then opened at 2/s: the ahead count visibly falls. */
const JOIN = 'WPJOIN';
/** Paused throughout: whoever joins waits as long as a test needs. */
const HOLD = 'WPHOLD';
/** Paused while three people join, then opened by the admin. */
const PAUSE = 'WPPAUSE';
/** One coupon, paused; the stock goes while people wait. */
const SOLD = 'WPSOLD';
/** Scheduled a few seconds ahead with a pre-queue: the page shows the draw, then the place. */
const DRAW = 'WPDRAW';
/** Asks every first request for a proof of work (the ALTCHA widget solves it). */
const POW = 'WPPOW';
/** Paused, then drained by the admin while people wait. */
const END = 'WPEND';
const RATE = 2;
const FILLERS = 20;

const SHOTS = join(ROOT, 'reports', 'screenshots');
const by = (id: string) => `[data-testid="${id}"]`;

describe('the waiting page in a real browser (gateway + admitter + coupon service)', () => {
  const world = new CouponTestWorld();
  let coupons: CouponInstance;
  let env: Env;
  let gateway: NestFastifyApplication;
  let admitter: AdmitterHandle;
  let redis: Redis;
  let browser: TestBrowser;
  let base: string;
  const http = () => request(gateway.getHttpServer());

  const setRate = async (line: string, ratePerSec: number) => {
    await http()
      .put(`/api/admin/lines/${line}`)
      .set('Authorization', `Bearer ${env.ADMIN_TOKEN}`)
      .send({ ratePerSec, burst: 1 })
      .expect(200);
  };
  /** Someone in line through the API (no browser, no cookie). */
  const enqueueApi = async (line: string, userId: string) => {
    const res = await http().post(`/api/coupons/${line}/issue`).send({ userId }).expect(307);
    return res.body as { uuid: string; offset: number; ticket: string };
  };
  /** A fresh browser user (own cookies and localStorage) on a page of the gateway. */
  const visit = async (path: string, options: Parameters<TestBrowser['newUser']>[0] = {}) => {
    const user = await browser.newUser(options);
    await user.page.goto(base + path);
    return user;
  };
  const shot = (page: Page, name: string) =>
    page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  const attr = (page: Page, id: string, name = 'data-value') => page.getAttribute(by(id), name);
  const text = async (page: Page, id: string) => (await page.textContent(by(id)))?.trim();
  const waitingView = (page: Page) =>
    page.waitForSelector(by('waiting'), { state: 'visible', timeout: 15_000 });
  /** Waits for the outcome view and answers its kind (issued, cancelled, sold_out, ...). */
  const outcome = async (page: Page, timeoutMs = 30_000) => {
    await page.waitForSelector(`${by('outcome')}[data-outcome]`, {
      state: 'visible',
      timeout: timeoutMs,
    });
    return attr(page, 'outcome', 'data-outcome');
  };
  /** Types a user id and presses "Get coupon"; answers the ticket the page shows. */
  const joinAs = async (page: Page, userId: string) => {
    await page.waitForSelector(by('join'), { state: 'visible' });
    await page.fill(by('user-id'), userId);
    await page.click(by('join'));
    await waitingView(page);
    await page.waitForFunction(
      (sel) => !!document.querySelector<HTMLElement>(sel)?.dataset.uuid,
      by('ticket'),
    );
    return {
      uuid: (await attr(page, 'ticket', 'data-uuid'))!,
      offset: Number(await attr(page, 'ticket', 'data-offset')),
    };
  };
  /**
   * Records every value a data-value attribute (or the text) of an element takes
   * from now on, with the time it changed, in the page's window[key].
   */
  const record = (page: Page, id: string, key: string, what: 'value' | 'text' = 'value') =>
    page.evaluate(
      ({ sel, key, what }) => {
        const el = document.querySelector<HTMLElement>(sel)!;
        const w = window as unknown as Record<string, Array<{ v: string; at: number }>>;
        const read = () => (what === 'value' ? el.dataset.value : el.textContent) ?? '';
        w[key] = [{ v: read(), at: Date.now() }];
        new MutationObserver(() => {
          const v = read();
          if (w[key][w[key].length - 1].v !== v) w[key].push({ v, at: Date.now() });
        }).observe(el, { attributes: true, childList: true, characterData: true, subtree: true });
      },
      { sel: by(id), key, what },
    );
  const recorded = (page: Page, key: string) =>
    page.evaluate(
      (k) => (window as unknown as Record<string, Array<{ v: string; at: number }>>)[k],
      key,
    );

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    await world.setUp(2);
    await world.db.query(
      `INSERT INTO coupon (code, name, discount, quantity, max_per_user) VALUES
         ($1, '10,000 won off', 10000, 20, 1), ($2, '5,000 won off', 5000, 20, 1),
         ($3, '3,000 won off', 3000, 20, 1), ($4, 'Last one: 50,000 won off', 50000, 1, 1),
         ($5, 'Drop: 7,000 won off', 7000, 20, 1), ($6, 'Bot-proof: 2,000 won off', 2000, 20, 1),
         ($7, 'Short event: 1,000 won off', 1000, 20, 1)`,
      [JOIN, HOLD, PAUSE, SOLD, DRAW, POW, END],
    );
    coupons = await new CouponInstance(world).start();
    env = gatewayEnv({
      COUPON_SERVICE_PORT: String(coupons.tcpPort),
      ADMISSION_RATE_PER_SEC: String(RATE),
      ADMISSION_BURST: '1',
      // API fillers never poll; keep them in line for the whole file.
      ABANDON_AFTER_SECONDS: '300',
      SSE_MIN_UPDATE_MS: '200',
    });
    gateway = await startGateway(env);
    await gateway.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(gateway.getHttpServer().address() as { port: number }).port}`;
    redis = gateway.get(REDIS);
    await waitFor(
      async () => {
        const res = await http().get('/api/lines');
        const known = (res.body as Array<{ line: string }>).map((l) => l.line);
        return (
          res.status === 200 &&
          [JOIN, HOLD, PAUSE, SOLD, DRAW, POW, END].every((c) => known.includes(c))
        );
      },
      20_000,
      'the seven lines',
    );
    for (const line of [JOIN, HOLD, PAUSE, SOLD, DRAW, POW, END]) await setRate(line, 0);
    admitter = await startAdmitter(env);
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await admitter?.close();
    if (gateway) {
      await dropGatewayState(gateway, env);
      await gateway.close();
    }
    await coupons?.stop();
    await world.tearDown();
  });

  it('serves the lines list: coupon, stock left, people waiting, state, a link per line', async () => {
    await enqueueApi(HOLD, 'list-reader');
    const { page } = await visit('/');
    const row = by(`line-${HOLD}`);
    await page.waitForFunction(
      (sel) => document.querySelector(`${sel} [data-testid="waiting"]`)?.textContent === '1',
      row,
    );
    expect(await page.getAttribute(`${row} ${by('state')}`, 'data-value')).toBe('paused');
    expect(await page.textContent(`${row} ${by('stock')}`)).toBe('20 / 20');
    expect(await page.textContent(`${row} a`)).toBe('5,000 won off');
    // The seeded coupons (A0001...) are listed too: the four of this file are among them.
    const codes = await page.$$eval(`${by('lines')} tr`, (rows) =>
      rows.map((r) => r.getAttribute('data-testid')),
    );
    expect(codes).toEqual(
      expect.arrayContaining([JOIN, HOLD, PAUSE, SOLD].map((c) => `line-${c}`)),
    );
    await shot(page, 'lines-list');
    await page.click(`${row} a`);
    await page.waitForURL(`${base}/lines/${HOLD}`);
    expect(await text(page, 'title')).toBe(`Coupon ${HOLD}`);
    // The event page is a real form: it works without JavaScript.
    const form = await page.$eval('form', (f) => [f.method, f.getAttribute('action')]);
    expect(form).toEqual(['post', `/api/coupons/${HOLD}/issue`]);
  });

  it('joins a moving line and watches the people ahead fall to 0 by push, then gets the coupon', async () => {
    for (let i = 0; i < FILLERS; i++) await enqueueApi(JOIN, `filler-${i}`);
    const { page } = await visit(`/lines/${JOIN}`);
    let navigations = 0;
    page.on('framenavigated', (f) => f === page.mainFrame() && navigations++);
    const polls: string[] = [];
    page.on('request', (r) => {
      if (/\/api\/queue\/tickets\/[^/]+$/.test(new URL(r.url()).pathname)) polls.push(r.url());
    });
    const ticket = await joinAs(page, 'ana');
    expect(ticket.offset).toBe(FILLERS);
    await page.waitForFunction(
      (sel) => document.querySelector(sel)?.getAttribute('data-value') === 'paused',
      by('state'),
    );
    expect(await attr(page, 'ahead')).toBe(String(FILLERS));
    expect(await attr(page, 'eta')).toBe('unknown');
    // Someone arrives after ana: "behind" grows without a reload.
    await enqueueApi(JOIN, 'late-comer');
    await page.waitForFunction(
      (sel) => document.querySelector(sel)?.getAttribute('data-value') === '1',
      by('behind'),
    );
    await record(page, 'ahead', 'ahead');
    await record(page, 'live', 'live', 'text');
    expect(await page.getAttribute(by('live'), 'aria-live')).toBe('polite');

    await setRate(JOIN, RATE);
    // The picture for the docs: the line moving, with an estimate (steady once the
    // measured rate has caught up with the setting; taken anyway near the front).
    await page.waitForFunction((sel) => {
      const ahead = Number(document.querySelector(`${sel}ahead"]`)?.getAttribute('data-value'));
      const state = document.querySelector(`${sel}state"]`)?.getAttribute('data-value');
      const eta = document.querySelector(`${sel}eta"]`)?.getAttribute('data-value');
      return state === 'open' && ahead > 0 && (eta === 'known' || ahead <= 3);
    }, '[data-testid="');
    // "About 4 s" from the measured and the configured rate, or "2 s to 9 s" while they disagree.
    expect(['known', 'rough']).toContain(await attr(page, 'eta'));
    expect(await text(page, 'eta')).toMatch(/^(About \d+ s|\d+ s to \d+ s)$/);
    expect(await text(page, 'rate')).toMatch(/^[\d.]+ people per second$/);
    // README's picture is refreshed on request only (it differs every run): UPDATE_DOCS_SCREENSHOT=1.
    if (process.env.UPDATE_DOCS_SCREENSHOT === '1') {
      await page.screenshot({ path: join(ROOT, 'docs', 'waiting-page.png') });
    }
    await shot(page, 'waiting-open');

    expect(await outcome(page)).toBe('issued');
    expect(await text(page, 'outcome-title')).toBe('You got the coupon');
    expect(await text(page, 'wallet-code')).toBe(JOIN);
    expect(await text(page, 'wallet-user')).toBe('ana');
    expect(await text(page, 'wallet-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(await page.getAttribute(`${by('outcome')} a[href="/"]`, 'href')).toBe('/');
    await shot(page, 'issued');

    const seen = (await recorded(page, 'ahead')).map((r) => Number(r.v));
    expect(seen[0]).toBe(FILLERS);
    expect(seen[seen.length - 1]).toBe(0);
    expect(new Set(seen).size).toBeGreaterThanOrEqual(5);
    seen.slice(1).forEach((v, i) => expect(v).toBeLessThan(seen[i]));
    // Pushed, not polled or reloaded.
    expect(navigations).toBe(0);
    expect(polls).toEqual([]);
    // The live region spoke on state changes at once, and of the position at most
    // every 10 s, not at each step of the count.
    const spoken = await recorded(page, 'live');
    expect(spoken.length).toBeLessThan(seen.length);
    spoken.forEach((s, i) => {
      if (i > 0 && /Estimated wait/.test(s.v)) {
        expect(s.at - spoken[i - 1].at).toBeGreaterThanOrEqual(9_500);
      }
    });
    expect(spoken.some((s) => /open again/.test(s.v))).toBe(true);
    expect(spoken[spoken.length - 1].v).toMatch(/^You got the coupon/);
    expect(await world.pgHolders(JOIN)).toEqual(['ana']);
  });

  it('leaves the line with Cancel and shows the cancelled outcome, also after a reload', async () => {
    const { page, context } = await visit(`/lines/${HOLD}`);
    const first = await joinAs(page, 'ben');
    await page.click(by('cancel'));
    expect(await outcome(page)).toBe('cancelled');
    expect(await text(page, 'outcome-title')).toBe('You left the line');
    expect(await page.isVisible(by('join-again'))).toBe(true);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('outcome-title');
    await shot(page, 'cancelled');
    const status = await context.request.get(`${base}/api/queue/lines/${HOLD}/ticket`);
    expect(((await status.json()) as { status: string }).status).toBe('cancelled');
    await page.reload();
    expect(await outcome(page)).toBe('cancelled');
    // Join again: the cookie's ticket is over, so the gateway gives a new place (and cookie).
    await page.click(by('join-again'));
    await page.waitForSelector(by('waiting'), { state: 'visible' });
    const again = await attr(page, 'ticket', 'data-uuid');
    expect(again).toBeTruthy();
    expect(again).not.toBe(first.uuid);
    expect(Number(await attr(page, 'ticket', 'data-offset'))).toBeGreaterThan(first.offset);
  });

  it('takes a place without JavaScript: the form posts, the gateway answers 303 and sets the cookie', async () => {
    const bare = await browser.newUser({ javaScriptEnabled: false });
    await bare.page.goto(`${base}/lines/${HOLD}`);
    await bare.page.fill(by('user-id'), 'nia-no-script');
    const [posted] = await Promise.all([
      bare.page.waitForResponse((r) => r.url().endsWith(`/api/coupons/${HOLD}/issue`)),
      bare.page.click(by('join')),
    ]);
    expect(posted.status()).toBe(303);
    expect(posted.headers().location).toBe(`/lines/${HOLD}`);
    await bare.page.waitForURL(`${base}/lines/${HOLD}`);
    const cookie = (await bare.context.cookies(base)).find((c) => c.name === `wrt_${HOLD}`)!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
    const held = await bare.context.request.get(`${base}/api/queue/lines/${HOLD}/ticket`);
    const ticket = (await held.json()) as { uuid: string; status: string; userId: string };
    expect(ticket).toMatchObject({ status: 'waiting', userId: 'nia-no-script' });

    // The same cookie in a browser with JavaScript: the page shows that very place.
    const { context, page } = await browser.newUser();
    await context.addCookies([cookie]);
    await page.goto(`${base}/lines/${HOLD}`);
    await waitingView(page);
    await page.waitForFunction(
      (sel) => !!document.querySelector<HTMLElement>(sel)?.dataset.uuid,
      by('ticket'),
    );
    expect(await attr(page, 'ticket', 'data-uuid')).toBe(ticket.uuid);
  });

  it('keeps the same place across a reload and in a second tab (same uuid and offset)', async () => {
    const { page, context } = await visit(`/lines/${HOLD}`);
    const ticket = await joinAs(page, 'cho');
    const total = await page.getAttribute(by('progress'), 'max');
    // Waited time counts from the first arrival, not from the reload.
    await page.waitForFunction(
      (sel) => Number(document.querySelector(sel)?.getAttribute('data-value')) >= 2,
      by('waited'),
    );
    await page.reload();
    await waitingView(page);
    await page.waitForFunction(
      (sel) => !!document.querySelector<HTMLElement>(sel)?.dataset.uuid,
      by('ticket'),
    );
    expect(await attr(page, 'ticket', 'data-uuid')).toBe(ticket.uuid);
    expect(await attr(page, 'ticket', 'data-offset')).toBe(String(ticket.offset));
    expect(await page.getAttribute(by('progress'), 'max')).toBe(total);
    expect(Number(await attr(page, 'waited'))).toBeGreaterThanOrEqual(2);
    expect(await page.isVisible(by('join'))).toBe(false);

    const tab = await context.newPage();
    await tab.goto(`${base}/lines/${HOLD}`);
    await waitingView(tab);
    await tab.waitForFunction(
      (sel) => !!document.querySelector<HTMLElement>(sel)?.dataset.uuid,
      by('ticket'),
    );
    expect(await attr(tab, 'ticket', 'data-uuid')).toBe(ticket.uuid);
    await tab.close();
  });

  it('shows a paused line as paused with a growing wait; opening it releases people in order (one by polling)', async () => {
    const users: Array<{ page: Page; context: BrowserContext; uuid: string; userId: string }> = [];
    for (const userId of ['pia', 'quinn', 'rosa']) {
      const { page, context } = await browser.newUser();
      if (userId === 'quinn') {
        // This one's event stream is refused as past the connection cap: the page polls.
        await page.route('**/events', (route) =>
          route.fulfill({
            status: 503,
            headers: { 'retry-after': '5', 'content-type': 'application/json' },
            body: '{"statusCode":503,"error":"SERVICE_UNAVAILABLE","message":"cap"}',
          }),
        );
      }
      await page.goto(`${base}/lines/${PAUSE}`);
      const { uuid } = await joinAs(page, userId);
      users.push({ page, context, uuid, userId });
    }
    const [pia, quinn, rosa] = users;
    for (const { page } of users) {
      await page.waitForFunction(
        (sel) => document.querySelector(sel)?.getAttribute('data-value') === 'paused',
        by('state'),
      );
      expect(await attr(page, 'eta')).toBe('unknown');
      expect(await text(page, 'eta')).toBe('Unknown: the line is paused');
    }
    expect(await attr(rosa.page, 'ahead')).toBe('2');
    const before = Number(await attr(pia.page, 'waited'));
    await pia.page.waitForFunction(
      ({ sel, n }) => Number(document.querySelector(sel)?.getAttribute('data-value')) >= n + 2,
      { sel: by('waited'), n: before },
    );
    expect(await text(pia.page, 'live')).toMatch(/paused/);
    expect(await text(quinn.page, 'notice')).toMatch(/checking every few seconds/);
    await shot(quinn.page, 'polling');
    await shot(pia.page, 'paused');
    await record(rosa.page, 'state', 'states');

    const polls: string[] = [];
    quinn.page.on(
      'request',
      (r) => r.url().endsWith(`/api/queue/tickets/${quinn.uuid}`) && polls.push(r.url()),
    );
    await setRate(PAUSE, RATE);
    for (const { page } of users) expect(await outcome(page)).toBe('issued');
    expect(polls.length).toBeGreaterThan(0);
    expect((await recorded(rosa.page, 'states')).map((r) => r.v)).toContain('open');
    const admissions = await redis.xrange(RedisKeys.lineAdmissions(PAUSE), '-', '+');
    expect(admissions.map(([, f]) => f[f.indexOf('uuid') + 1])).toEqual(users.map((u) => u.uuid));
    // Admitted in order (above); each then issues when their page learns it, and quinn's
    // page polls, so the issue times need not follow the same order.
    const rows: { user_id: string }[] = await world.db.query(
      `SELECT user_id FROM coupon_wallet WHERE coupon_code = $1 ORDER BY user_id`,
      [PAUSE],
    );
    expect(rows.map((r) => r.user_id)).toEqual(['pia', 'quinn', 'rosa']);
    for (const { context } of users) await context.close();
  });

  it('waits in the pre-queue of a scheduled line, shows the draw time, then the place the draw gave', async () => {
    const opensAt = Date.now() + 6000;
    await http()
      .put(`/api/admin/lines/${DRAW}`)
      .set('Authorization', `Bearer ${env.ADMIN_TOKEN}`)
      .send({ opensAt: new Date(opensAt).toISOString(), preQueue: true })
      .expect(200);
    await waitFor(
      async () => (await http().get(`/api/lines/${DRAW}/draw`)).body.status === 'scheduled',
      5000,
      'the schedule',
    );
    const { page } = await visit(`/lines/${DRAW}`);
    await joinAs(page, 'sol');
    expect(await attr(page, 'eta')).toBe('draw');
    expect(await text(page, 'eta')).toMatch(/^The draw is at .+: everyone here before then/);
    await page.waitForFunction(
      (sel) => document.querySelector(sel)?.getAttribute('data-value') === 'scheduled',
      by('state'),
    );
    expect(await text(page, 'state')).toBe('Opens soon: pre-queue');
    await shot(page, 'pre-queue');

    // Nobody triggers the draw: at opensAt the page polls its way to a real place.
    const drawn = await waitFor(
      async () => {
        const body = (await http().get(`/api/lines/${DRAW}/draw`)).body;
        return body.status === 'done' ? body : false;
      },
      20_000,
      'the draw',
      200,
    );
    expect(drawn.entrants).toBe(1);
    await page.waitForFunction(
      (sel) => document.querySelector(sel)?.getAttribute('data-value') !== 'draw',
      by('eta'),
      {
        timeout: 30_000,
      },
    );
    expect(await attr(page, 'ahead')).toBe('0');
    await setRate(DRAW, RATE);
    expect(await outcome(page)).toBe('issued');
  });

  it('tells everyone still waiting that the coupon sold out', async () => {
    const waiting: Page[] = [];
    for (const userId of ['sam', 'tae']) {
      const { page } = await visit(`/lines/${SOLD}`);
      await joinAs(page, userId);
      waiting.push(page);
    }
    // The last coupon goes to someone else (straight to the coupon service).
    const taken = await coupons.issue({ code: SOLD, userId: 'walk-in', ticketId: randomUUID() });
    expect(taken.outcome).toBe('issued');
    for (const page of waiting) {
      expect(await outcome(page, 20_000)).toBe('sold_out');
      expect(await text(page, 'outcome-title')).toBe('Sold out');
    }
    await shot(waiting[0], 'sold-out');
    // A newcomer is told at once; the list shows it too.
    const late = await visit(`/lines/${SOLD}`);
    await late.page.fill(by('user-id'), 'ulla');
    await late.page.click(by('join'));
    expect(await outcome(late.page)).toBe('sold_out');
    // A plain form post (no script) is answered 303 to the page, naming why no place was taken.
    const plain = await visit(`/lines/${SOLD}`);
    await plain.page.fill(by('user-id'), 'vic');
    await plain.page.$eval('form', (f) => (f as HTMLFormElement).submit());
    await plain.page.waitForURL(`${base}/lines/${SOLD}?error=SOLD_OUT`);
    expect(await outcome(plain.page)).toBe('sold_out');
    const list = await visit('/');
    await list.page.waitForFunction(
      (sel) => document.querySelector(sel)?.getAttribute('data-value') === 'sold_out',
      `${by(`line-${SOLD}`)} ${by('state')}`,
    );
    expect(await list.page.textContent(`${by(`line-${SOLD}`)} ${by('stock')}`)).toBe('0 / 1');
  });

  it('solves the proof of work a line asks for with the ALTCHA widget, and the join carries it', async () => {
    await http()
      .put(`/api/admin/lines/${POW}`)
      .set('Authorization', `Bearer ${env.ADMIN_TOKEN}`)
      .send({ powDifficulty: 5000 })
      .expect(200);
    const { page } = await visit(`/lines/${POW}`);
    const joins: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'POST' && r.url().endsWith(`/api/coupons/${POW}/issue`)) {
        joins.push(r.postData() ?? '');
      }
    });
    await page.waitForSelector(`${by('altcha')} [data-state="verified"]`, { timeout: 15_000 });
    await shot(page, 'proof-of-work-join');
    const { uuid } = await joinAs(page, 'pow-user');
    expect(uuid).toEqual(expect.any(String));
    expect(joins).toHaveLength(1);
    const { altcha } = JSON.parse(joins[0]!) as { altcha: string };
    const payload = JSON.parse(Buffer.from(altcha, 'base64').toString()) as {
      challenge: { parameters: { data: { line: string } } };
      solution: { counter: number; time?: number };
    };
    expect(payload.challenge.parameters.data.line).toBe(POW);
    // The browser's own cost at the suggested difficulty (recorded in docs/waiting-page.md).
    console.log(
      `[pow] Chromium solved a difficulty-5000 challenge: counter ${payload.solution.counter}, ${payload.solution.time} ms`,
    );
    // Without the widget's solution the gateway refuses the same request.
    const bare = await http().post(`/api/coupons/${POW}/issue`).send({ userId: 'pow-bot' });
    expect(bare.status).toBe(403);
  });

  it('tells everyone still waiting when the admin drains the line, and newcomers that it ended', async () => {
    const { page } = await visit(`/lines/${END}`);
    await joinAs(page, 'end-user');
    await http()
      .post(`/api/admin/lines/${END}/drain`)
      .set('Authorization', `Bearer ${env.ADMIN_TOKEN}`)
      .expect(200);
    expect(await outcome(page, 20_000)).toBe('ended');
    expect(await text(page, 'outcome-title')).toBe('The event has ended');
    await shot(page, 'line-ended');
    const late = await visit(`/lines/${END}`);
    await late.page.fill(by('user-id'), 'end-late');
    await late.page.click(by('join'));
    expect(await outcome(late.page)).toBe('ended');
  });

  it('works with the keyboard alone: Tab to the field and the button, Enter to join, Tab to Cancel', async () => {
    const { page } = await visit(`/lines/${HOLD}`);
    await page.waitForSelector(by('join'), { state: 'visible' });
    const focused = () => page.evaluate(() => document.activeElement?.getAttribute('data-testid'));
    const outline = () =>
      page.evaluate(() => {
        const s = getComputedStyle(document.activeElement!);
        return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2;
      });
    for (let i = 0; i < 8 && (await focused()) !== 'user-id'; i++) await page.keyboard.press('Tab');
    expect(await focused()).toBe('user-id');
    expect(await outline()).toBe(true);
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.type('kim-keys');
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('join');
    expect(await outline()).toBe(true);
    await page.keyboard.press('Enter');
    await waitingView(page);
    expect(await focused()).toBe('waiting-title');
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('cancel');
    expect(await outline()).toBe(true);
    await shot(page, 'keyboard-cancel-focused');
    await page.keyboard.press('Enter');
    expect(await outcome(page)).toBe('cancelled');
    expect(await page.evaluate(() => localStorage.getItem('wr.userId'))).toBe('kim-keys');
  });

  it('speaks Korean with ?lang=ko or a Korean browser, and the toggle switches and remembers', async () => {
    const { page } = await visit(`/lines/${HOLD}?lang=ko`);
    await page.waitForSelector(by('join'), { state: 'visible' });
    expect(await page.getAttribute('html', 'lang')).toBe('ko');
    expect(await text(page, 'join')).toBe('쿠폰 받기');
    expect(await text(page, 'title')).toBe(`${HOLD} 쿠폰`);
    await joinAs(page, 'lee');
    await page.waitForFunction(
      (sel) => document.querySelector(sel)?.getAttribute('data-value') === 'paused',
      by('state'),
    );
    expect(await text(page, 'state')).toBe('일시 중지');
    expect(await text(page, 'cancel')).toBe('대기 취소');
    expect(await page.textContent(`${by('waiting')} dt`)).toBe('내 앞 대기 인원');
    await shot(page, 'waiting-ko');

    expect(await text(page, 'lang')).toBe('English');
    await page.click(by('lang'));
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(await text(page, 'state')).toBe('Paused');
    expect(await text(page, 'cancel')).toBe('Leave the line');
    expect(await page.evaluate(() => localStorage.getItem('wr.lang'))).toBe('en');
    await page.goto(`${base}/lines/${HOLD}`);
    await waitingView(page);
    expect(await page.getAttribute('html', 'lang')).toBe('en');

    const korean = await visit('/', { locale: 'ko-KR' });
    await korean.page.waitForSelector(`${by(`line-${HOLD}`)}`);
    expect(await korean.page.getAttribute('html', 'lang')).toBe('ko');
    expect(await korean.page.textContent('th')).toBe('쿠폰');
  });

  it('fits a 360 px wide phone without sideways scrolling', async () => {
    const { page } = await visit(`/lines/${HOLD}`, { viewport: { width: 360, height: 740 } });
    await joinAs(page, 'a-rather-long-user-id-on-a-small-phone');
    await page.waitForFunction(
      (sel) => !!document.querySelector(sel)?.getAttribute('data-value'),
      by('state'),
    );
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
      360,
    );
    await shot(page, 'waiting-360');
    await page.goto(`${base}/`);
    await page.waitForSelector(by(`line-${HOLD}`));
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
      360,
    );
    await shot(page, 'lines-360');
  });
});
