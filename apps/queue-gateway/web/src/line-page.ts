// GET /lines/{code}: the join form, the live waiting view (SSE, falling back to
// polling) and the outcome. The ticket itself lives in the HttpOnly cookie
// wrt_{code}; the page only ever sees its uuid and numbers.
import {
  Answer,
  call,
  Coupon,
  errorCode,
  ErrorBody,
  Issued,
  LineState,
  Numbers,
  TicketStatus,
} from './api';
import { $, el, setText } from './dom';
import { duration, lang, num, setUpToggle, store, stored, t, TextKey } from './i18n';

type Outcome =
  | 'issued'
  | 'already'
  | 'sold_out'
  | 'ended'
  | 'closed'
  | 'cancelled'
  | 'abandoned'
  | 'expired'
  | 'spent'
  | 'lost'
  | 'unknown'
  | 'error';

const OUTCOME_TEXT: Record<Outcome, [TextKey, TextKey]> = {
  issued: ['issuedH', 'issuedP'],
  already: ['alreadyH', 'alreadyP'],
  sold_out: ['soldOutH', 'soldOutP'],
  ended: ['endedH', 'endedP'],
  closed: ['closedH', 'closedP'],
  cancelled: ['cancelledH', 'cancelledP'],
  abandoned: ['abandonedH', 'abandonedP'],
  expired: ['expiredH', 'expiredP'],
  spent: ['spentH', 'spentP'],
  lost: ['lostH', 'lostP'],
  unknown: ['unknownH', 'unknownP'],
  error: ['errorH', 'errorP'],
};

const ERROR_OUTCOME: Record<string, Outcome> = {
  ALREADY_ISSUED: 'already',
  SOLD_OUT: 'sold_out',
  LINE_ENDED: 'ended',
  LINE_CLOSED: 'closed',
  TICKET_CANCELLED: 'cancelled',
  TICKET_ABANDONED: 'abandoned',
  PASS_EXPIRED: 'expired',
  TICKET_SPENT: 'spent',
  TICKET_LOST: 'lost',
  UNKNOWN_COUPON: 'unknown',
};

/** Live-region pace: position news at most this often (state changes at once). */
const ANNOUNCE_EVERY_MS = 10_000;
/** After EventSource gives up (e.g. 503 past the connection cap), try it again this late. */
const SSE_RETRY_MS = 20_000;

interface Meta {
  /** People ahead at arrival: the progress bar's 0 %. */
  a0: number;
  /** Epoch ms of arrival. */
  at: number;
}

const code = document.body.dataset.code ?? '';
const enc = encodeURIComponent;

let mode: 'loading' | 'join' | 'waiting' | 'outcome' = 'loading';
let me: TicketStatus | undefined;
let line: LineState | undefined;
let meta: Meta = { a0: 0, at: Date.now() };
let coupon: Coupon | undefined;
let outcome: { kind: Outcome; issued?: Issued } | undefined;
let es: EventSource | undefined;
let polling = false;
let admitting = false;
let pollTimer: number | undefined;
let sseTimer: number | undefined;
let tickTimer: number | undefined;
let notice: { key?: TextKey; raw?: string } | undefined;
let lastAnnounce = 0;
let announcedState: string | undefined;

// ---- helpers ---------------------------------------------------------------

const section = (name: string) => $(name === 'join' ? 'join-section' : name);

function show(next: typeof mode): void {
  mode = next;
  for (const name of ['join', 'waiting', 'outcome']) section(name).hidden = name !== next;
}

/** A notice under the title: a dictionary key, or a server message shown as it is. */
function say(key?: TextKey, raw?: string): void {
  notice = key || raw ? { key, raw } : undefined;
  paintNotice();
}

function paintNotice(): void {
  const el = $('notice');
  el.hidden = !notice;
  el.textContent = notice ? (notice.raw ?? t(notice.key!)) : '';
}

function announce(text: string, force: boolean): void {
  const live = $('live');
  const now = Date.now();
  if (!force && (now - lastAnnounce < ANNOUNCE_EVERY_MS || live.textContent === text)) return;
  live.textContent = text;
  lastAnnounce = now;
}

function loadMeta(uuid: string, ahead: number): Meta {
  try {
    const m = JSON.parse(stored(`wr.t.${uuid}`) ?? 'null') as Meta | null;
    if (m && typeof m.a0 === 'number' && typeof m.at === 'number') return m;
  } catch {
    // corrupt: start again
  }
  const fresh = { a0: ahead, at: Date.now() };
  store(`wr.t.${uuid}`, JSON.stringify(fresh));
  return fresh;
}

function stopLive(): void {
  es?.close();
  es = undefined;
  polling = false;
  clearTimeout(pollTimer);
  clearTimeout(sseTimer);
  clearInterval(tickTimer);
}

// ---- estimates -------------------------------------------------------------

interface Eta {
  kind: 'now' | 'unknown' | 'known' | 'rough' | 'draw';
  text: string;
  range: string;
  short: string;
}

function estimate(): Eta {
  const ahead = me?.ahead ?? 0;
  if (me?.drawAt) {
    const time = new Intl.DateTimeFormat(lang, { timeStyle: 'short' }).format(new Date(me.drawAt));
    const text = t('etaDraw', { time });
    return { kind: 'draw', text, range: '', short: text };
  }
  if (line?.state === 'paused' || (line && line.configuredRatePerSec <= 0)) {
    return { kind: 'unknown', text: t('etaPaused'), range: '', short: t('etaPaused') };
  }
  if (ahead === 0) return { kind: 'now', text: t('etaNow'), range: '', short: t('etaNow') };
  const work = ahead * Math.max(1, line?.partitions.length ?? 1);
  const measured = line?.ratePerSec ?? null;
  const configured = line?.configuredRatePerSec ?? 0;
  const rates = [measured, configured].filter((r): r is number => r !== null && r > 0);
  if (rates.length === 0) {
    const s = me?.etaSeconds ?? null;
    if (s === null) return { kind: 'unknown', text: '–', range: '', short: '–' };
    const about = t('etaAbout', { t: duration(s) });
    return { kind: 'known', text: about, range: '', short: about };
  }
  const best = work / (measured !== null && measured > 0 ? measured : configured);
  // Sure when the measured rate exists and agrees with the setting within 30 %.
  const sure =
    measured !== null && measured > 0 && Math.abs(measured - configured) <= 0.3 * configured;
  const lo = duration(Math.min(work / Math.max(...rates), best * 0.9));
  const hi = duration(Math.max(work / Math.min(...rates), best * (sure ? 1.15 : 1.5)));
  const about = t('etaAbout', { t: duration(best) });
  if (sure || lo === hi) {
    return {
      kind: 'known',
      text: about,
      range: lo === hi ? '' : t('etaLikely', { a: lo, b: hi }),
      short: about,
    };
  }
  const between = t('etaBetween', { a: lo, b: hi });
  return { kind: 'rough', text: between, range: t('etaRough'), short: between };
}

function rateText(): string {
  if (!line) return '–';
  if (line.state === 'paused' || line.configuredRatePerSec <= 0) return t('ratePaused');
  if (line.ratePerSec !== null) return t('rateValue', { n: num(line.ratePerSec, 1) });
  return t('rateSet', { n: num(line.configuredRatePerSec, 1) });
}

// ---- rendering -------------------------------------------------------------

function render(): void {
  document.title = `${t('couponTitle', { code })} · ${t('pageTitle')}`;
  setText('title', t('couponTitle', { code }));
  setText('coupon-name', coupon?.name ?? '');
  paintNotice();
  if (mode === 'waiting') renderWaiting();
  if (mode === 'outcome') renderOutcome();
}

function renderWaiting(): void {
  if (!me) return;
  const ahead = me.ahead;
  const ticket = $('ticket');
  const pre = !!me.drawAt;
  ticket.textContent = pre
    ? t('placePre', { id: me.uuid.slice(0, 8) })
    : t('place', { place: num(me.offset + 1), id: me.uuid.slice(0, 8) });
  ticket.dataset.uuid = me.uuid;
  ticket.dataset.offset = String(me.offset);
  // In the pre-queue nobody is ahead or behind yet: the draw decides.
  setText('ahead', pre ? '–' : num(ahead), pre ? '' : ahead);
  setText('behind', pre ? '–' : num(me.behind), pre ? '' : me.behind);

  const total = Math.max(meta.a0, ahead, 1);
  const done = Math.max(0, total - ahead);
  const bar = $<HTMLProgressElement>('progress');
  if (pre) {
    bar.removeAttribute('value'); // indeterminate until the draw
    bar.setAttribute('aria-valuetext', t('etaDrawShort'));
  } else {
    bar.max = total;
    bar.value = done;
    bar.setAttribute('aria-valuetext', t('progressText', { done: num(done), total: num(total) }));
  }

  const eta = estimate();
  setText('eta', eta.text, eta.kind);
  setText('eta-range', eta.range);
  $('eta-range').hidden = !eta.range;
  setText('rate', rateText());
  const waited = Math.max(0, Math.floor((Date.now() - meta.at) / 1000));
  setText('waited', duration(waited), waited);
  const state = line?.state;
  const badge = $('state');
  badge.className = `badge ${state ?? ''}`;
  setText('state', state ? t(state) : t('unknownState'), state ?? '');
  setText(
    'stock',
    line ? t('stockValue', { n: num(line.remaining), total: num(line.quantity) }) : '–',
  );
  $('yourturn').hidden = !admitting;
  setText('yourturn', t('yourTurn'));
  $<HTMLButtonElement>('cancel').disabled = admitting;
  if (polling && !pre) say('polling');
  else if (notice?.key === 'polling') say();

  if (admitting) return;
  const changed = state !== undefined && state !== announcedState;
  const text = me.drawAt
    ? t('announceDraw', {
        time: new Intl.DateTimeFormat(lang, { timeStyle: 'short' }).format(new Date(me.drawAt)),
      })
    : state === 'paused'
      ? t('announcePaused', { ahead: num(ahead) })
      : changed && announcedState === 'paused'
        ? t('announceOpen', { ahead: num(ahead) })
        : t('announce', { ahead: num(ahead), eta: eta.short });
  if (state !== undefined) announcedState = state;
  announce(text, changed);
}

const REJOINABLE = new Set<Outcome>(['cancelled', 'abandoned', 'expired', 'lost']);

function renderOutcome(): void {
  if (!outcome) return;
  const [h, p] = OUTCOME_TEXT[outcome.kind];
  $('outcome').dataset.outcome = outcome.kind;
  setText('outcome-title', t(h));
  setText('outcome-text', t(p));
  const issued = outcome.issued;
  $('wallet').hidden = !issued;
  if (issued) {
    setText('wallet-code', issued.couponCode);
    setText('wallet-id', issued.walletId);
    setText('wallet-user', issued.userId);
    const at = new Date(issued.issuedAt);
    setText(
      'wallet-at',
      isNaN(at.getTime())
        ? issued.issuedAt
        : new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'medium' }).format(at),
    );
  }
  // The gateway gives a browser whose ticket is over a new place (and cookie).
  $('join-again').hidden = !REJOINABLE.has(outcome.kind);
}

// ---- transitions -----------------------------------------------------------

function showJoin(message?: TextKey): void {
  stopLive();
  show('join');
  say(message);
  render();
  // The line's state says whether a join needs a proof of work.
  if (line) setUpProofOfWork();
  else
    void call<LineState>('GET', `/api/lines/${enc(code)}`).then((l) => {
      if (l.status !== 200 || !l.body) return;
      line ??= l.body;
      setUpProofOfWork();
    });
}

// ---- proof of work (a line with powDifficulty > 0) ---------------------------
// The ALTCHA widget (served from /assets, its CSP-friendly "external" build with
// its PBKDF2 worker) solves a challenge of this line in the background while the
// user types; a join sends the solution once, and the widget solves a new one.

interface AltchaWidget extends HTMLElement {
  verify(): Promise<{ payload: string } | null>;
  reset(): void;
}
let powWidget: AltchaWidget | undefined;
let powPayload: string | undefined;
const powWaiters: Array<(payload: string) => void> = [];

function setUpProofOfWork(): void {
  if (!line?.powDifficulty || powWidget || document.querySelector('script[data-altcha]')) return;
  const css = el('link', undefined, { rel: 'stylesheet', href: '/assets/altcha.css' });
  const script = el('script', undefined, { src: '/assets/altcha.js', 'data-altcha': '' });
  script.addEventListener('load', () => {
    const registry = (window as unknown as { $altcha?: AltchaGlobal }).$altcha;
    registry?.algorithms.set('PBKDF2/SHA-256', () => new Worker('/assets/altcha-pbkdf2.js'));
    const widget = el('altcha-widget' as 'div', undefined, {
      challenge: `/api/lines/${enc(code)}/challenge`,
      auto: 'onload',
      name: 'altcha',
      'data-testid': 'altcha',
      configuration: JSON.stringify({ hideFooter: true, minDuration: 0 }),
    }) as unknown as AltchaWidget;
    widget.addEventListener('statechange', (e) => {
      const detail = (e as CustomEvent<{ state: string; payload?: string }>).detail;
      if (detail.state !== 'verified' || !detail.payload) return;
      powPayload = detail.payload;
      for (const waiter of powWaiters.splice(0)) waiter(detail.payload);
    });
    $('join').before(widget);
    powWidget = widget;
  });
  document.head.append(css, script);
}

interface AltchaGlobal {
  algorithms: Map<string, () => Worker>;
}

/** A solved payload for one join (waits for the widget if it is still working). */
function proofOfWork(): Promise<string | undefined> {
  if (!line?.powDifficulty) return Promise.resolve(undefined);
  setUpProofOfWork();
  const ready = powPayload;
  if (ready) {
    powPayload = undefined;
    // The next join needs a new solution: start on it now.
    window.setTimeout(() => {
      powWidget?.reset();
      void powWidget?.verify();
    }, 0);
    return Promise.resolve(ready);
  }
  return new Promise((resolve) => powWaiters.push(resolve)).then(() => proofOfWork());
}

function startWaiting(s: TicketStatus, focus: boolean): void {
  stopLive();
  me = s;
  meta = loadMeta(s.uuid, s.ahead);
  admitting = false;
  show('waiting');
  say();
  render();
  if (focus) $('waiting-title').focus();
  openStream();
  tickTimer = window.setInterval(() => mode === 'waiting' && renderWaiting(), 1000);
}

function finish(kind: Outcome, issued?: Issued): void {
  stopLive();
  const same = mode === 'outcome' && outcome?.kind === kind;
  admitting = false;
  outcome = { kind, issued };
  if (me) store(`wr.t.${me.uuid}`, null);
  show('outcome');
  say();
  render();
  if (same) return;
  $('outcome-title').focus();
  const [h, p] = OUTCOME_TEXT[kind];
  announce(`${t(h)}. ${t(p)}`, true);
}

const outcomeOfError = (a: Answer): Outcome => ERROR_OUTCOME[errorCode(a)] ?? 'error';

/** A final status from the stream, a poll or the page's first look. */
function settle(s: TicketStatus): void {
  switch (s.status) {
    case 'scheduled':
    case 'waiting':
      if (mode !== 'waiting') startWaiting(s, false);
      else if (!es && !polling) openStream();
      return;
    case 'admitted':
      me = { ...me, ...s };
      void issue(s.userId);
      return;
    case 'spent':
      void showSpent(s.userId);
      return;
    default:
      finish(s.status);
  }
}

/** Admitted: the pass is granted, so the issue route now answers with the coupon. */
async function issue(userId: string): Promise<void> {
  stopLive();
  admitting = true;
  if (me) me = { ...me, ahead: 0 };
  if (mode !== 'waiting') show('waiting');
  render();
  announce(t('yourTurn'), true);
  const a = await call<Issued | (Numbers & { ticket: string }) | ErrorBody>(
    'POST',
    `/api/coupons/${enc(code)}/issue`,
    { userId },
  );
  if (a.status === 201) return finish('issued', a.body as Issued);
  if (a.status === 307) {
    // This gateway has not seen the admission yet: wait with the fresh numbers.
    const n = a.body as Numbers;
    window.setTimeout(
      () => startWaiting({ ...(me as TicketStatus), ...n, status: 'waiting' }, false),
      Math.max(500, n.pollAfterMs),
    );
    return;
  }
  if (a.status === 503 || a.status === 0) {
    say('busy');
    window.setTimeout(() => void issue(userId), a.retryAfter * 1000);
    return;
  }
  finish(outcomeOfError(a));
}

/** The ticket was used: the coupon is in the wallet (or another tab took it). */
async function showSpent(userId: string): Promise<void> {
  stopLive();
  const a = await call<Array<{ couponCode: string; walletId: string; issuedAt: string }>>(
    'GET',
    `/api/users/${enc(userId)}/coupons`,
  );
  const entry =
    a.status === 200 && Array.isArray(a.body)
      ? a.body.find((w) => w.couponCode === code)
      : undefined;
  if (entry) finish('issued', { ...entry, userId });
  else finish('spent');
}

// ---- live updates: SSE, else polling ---------------------------------------

function applyLine(): void {
  const p = me && line?.partitions[me.partition];
  if (!me || !p) return;
  const endOffset = Math.max(p.endOffset, me.offset + 1);
  me = {
    ...me,
    committedOffset: p.committedOffset,
    endOffset,
    ahead: Math.max(0, me.offset - p.committedOffset),
    behind: Math.max(0, endOffset - me.offset - 1),
  };
}

function openStream(): void {
  clearTimeout(sseTimer);
  if (es || mode !== 'waiting' || !me || admitting) return;
  // A pre-queue ticket has no place to follow until the draw: poll (quietly) till then.
  if (me.drawAt) return startPolling();
  const source = new EventSource(`/api/queue/tickets/${enc(me.uuid)}/events`);
  es = source;
  const data = <T>(e: Event) => JSON.parse((e as MessageEvent<string>).data) as T;
  source.addEventListener('ticket', (e) => {
    const s = data<TicketStatus>(e);
    if (s.status !== 'waiting') return; // the outcome follows at once
    me = { ...me, ...s };
    stopPolling();
    render();
  });
  source.addEventListener('line', (e) => {
    line = data<LineState>(e);
    applyLine();
    stopPolling();
    render();
  });
  source.addEventListener('outcome', (e) => {
    source.close();
    es = undefined;
    settle(data<TicketStatus>(e));
  });
  source.onerror = () => {
    if (es !== source || source.readyState !== EventSource.CLOSED) return; // reconnecting by itself
    es = undefined;
    startPolling();
    sseTimer = window.setTimeout(openStream, SSE_RETRY_MS);
  };
}

function stopPolling(): void {
  if (!polling) return;
  polling = false;
  clearTimeout(pollTimer);
  render();
}

function startPolling(): void {
  if (polling) return;
  polling = true;
  render();
  void poll();
}

async function poll(): Promise<void> {
  if (!polling || mode !== 'waiting' || !me) return;
  const [a, l] = await Promise.all([
    call<TicketStatus>('GET', `/api/queue/tickets/${enc(me.uuid)}`),
    call<LineState>('GET', `/api/lines/${enc(code)}`),
  ]);
  if (!polling || mode !== 'waiting') return;
  if (l.status === 200) line = l.body;
  let wait = a.retryAfter * 1000;
  if (a.status === 200) {
    if (a.body.status !== 'waiting' && a.body.status !== 'scheduled') return settle(a.body);
    const wasPre = !!me.drawAt;
    me = { ...me, ...a.body, drawAt: a.body.drawAt ?? null };
    if (wasPre && !me.drawAt) {
      // Placed by the draw: follow the line by push from here.
      meta = { a0: me.ahead, at: meta.at };
      store(`wr.t.${me.uuid}`, JSON.stringify(meta));
      stopPolling();
      render();
      return openStream();
    }
    wait = Math.min(10_000, Math.max(500, a.body.pollAfterMs));
    render();
  } else if (a.status >= 400 && a.status < 500) {
    return showJoin('lost');
  }
  pollTimer = window.setTimeout(() => void poll(), wait);
}

// ---- user actions ----------------------------------------------------------

async function join(userId: string, again = false, tries = 0): Promise<void> {
  const button = $<HTMLButtonElement>(again ? 'join-again' : 'join');
  button.disabled = true;
  const altcha = await proofOfWork();
  const a = await call<(Numbers & { ticket: string }) | Issued | ErrorBody>(
    'POST',
    `/api/coupons/${enc(code)}/issue`,
    altcha ? { userId, altcha } : { userId },
  );
  button.disabled = false;
  if (a.status === 307) {
    const n = a.body as Numbers;
    store(`wr.t.${n.uuid}`, JSON.stringify({ a0: n.ahead, at: Date.now() }));
    const s: TicketStatus = { ...n, status: 'waiting', line: code, userId, passExpiresAt: null };
    return startWaiting(s, true);
  }
  if (a.status === 201) return finish('issued', a.body as Issued);
  if ((a.status === 503 || a.status === 0) && tries < 5) {
    say('busy');
    window.setTimeout(() => void join(userId, again, tries + 1), a.retryAfter * 1000);
    return;
  }
  if (a.status === 400) {
    say('errorP', (a.body as ErrorBody | undefined)?.message);
    $('user-id').focus();
    return;
  }
  finish(outcomeOfError(a));
}

function randomGuest(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  return 'guest-' + Array.from(bytes, (b) => 'abcdefghijkmnpqrstuvwxyz23456789'[b % 32]).join('');
}

function currentUserId(): string {
  return $<HTMLInputElement>('user-id').value.trim() || stored('wr.userId') || '';
}

async function boot(): Promise<void> {
  const a = await call<TicketStatus>('GET', `/api/queue/lines/${enc(code)}/ticket`);
  if (a.status === 200 && a.body) {
    if (a.body.status === 'waiting' || a.body.status === 'scheduled') startWaiting(a.body, false);
    else settle(a.body);
    return;
  }
  if (a.status === 404) {
    const error = new URLSearchParams(location.search).get('error');
    const kind = error ? ERROR_OUTCOME[error] : undefined;
    if (kind) finish(kind);
    else showJoin();
    return;
  }
  // The gateway cannot say now: offer the form (it works) and look again.
  showJoin('busy');
  window.setTimeout(() => mode === 'join' && void boot(), a.retryAfter * 1000);
}

export function linePage(): void {
  const input = $<HTMLInputElement>('user-id');
  input.value = stored('wr.userId') || randomGuest();
  $<HTMLFormElement>('join-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const userId = input.value.trim();
    if (!userId) return input.focus();
    store('wr.userId', userId);
    void join(userId);
  });
  $('cancel').addEventListener('click', () => void cancel());
  $('join-again').addEventListener('click', () => void join(currentUserId(), true));
  setUpToggle(render);
  show('loading');
  render();
  void call<Coupon[]>('GET', '/api/coupons').then((c) => {
    coupon = Array.isArray(c.body) ? c.body.find((x) => x.code === code) : undefined;
    render();
  });
  void boot();
}

async function cancel(): Promise<void> {
  if (!me) return;
  const button = $<HTMLButtonElement>('cancel');
  button.disabled = true;
  const a = await call<TicketStatus>('DELETE', `/api/queue/tickets/${enc(me.uuid)}`);
  button.disabled = false;
  if (a.status === 200) return finish('cancelled');
  if (a.status === 409) return void showSpent(me.userId);
  if (a.status === 401 || a.status === 403) return showJoin('lost');
  say('busy');
}
