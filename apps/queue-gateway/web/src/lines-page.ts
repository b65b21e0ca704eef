// GET /: every line with its coupon, stock left, people waiting and state.
import { call, Coupon, LineState } from './api';
import { $, el } from './dom';
import { num, t, setUpToggle } from './i18n';

const REFRESH_MS = 5000;

let coupons: Coupon[] = [];
let lines = new Map<string, LineState>();
let loaded = false;

function render(): void {
  document.title = `${t('linesTitle')} · ${t('pageTitle')}`;
  const body = $('lines');
  const empty = $('no-lines');
  empty.textContent = loaded ? t('noLines') : t('loading');
  empty.hidden = loaded && coupons.length > 0;
  body.replaceChildren(
    ...coupons.map((c) => {
      const line = lines.get(c.code);
      const state = line?.state ?? (c.remaining === 0 ? 'sold_out' : undefined);
      const row = el('tr', undefined, { 'data-testid': `line-${c.code}` });
      const name = el('td');
      const link = el('a', c.name, { href: `/lines/${encodeURIComponent(c.code)}` });
      name.append(link, el('span', c.code, { class: 'code' }));
      const badge = el('span', state ? t(state) : t('unknownState'), {
        class: `badge ${state ?? ''}`,
        'data-testid': 'state',
        'data-value': state ?? '',
      });
      const stateCell = el('td');
      stateCell.append(badge);
      const stock = el('td', num(line?.remaining ?? c.remaining), {
        class: 'n',
        'data-testid': 'stock',
      });
      stock.append(el('span', ` / ${num(c.quantity)}`, { class: 'of' }));
      row.append(
        name,
        stock,
        el('td', line ? num(line.waiting) : '–', { class: 'n', 'data-testid': 'waiting' }),
        stateCell,
      );
      return row;
    }),
  );
}

async function refresh(): Promise<void> {
  const [c, l] = await Promise.all([
    call<Coupon[]>('GET', '/api/coupons'),
    call<LineState[]>('GET', '/api/lines'),
  ]);
  if (c.status === 200 && Array.isArray(c.body)) {
    coupons = [...c.body].sort((a, b) => a.code.localeCompare(b.code));
    loaded = true;
  }
  if (l.status === 200 && Array.isArray(l.body)) lines = new Map(l.body.map((s) => [s.line, s]));
  render();
  setTimeout(() => void refresh(), REFRESH_MS);
}

export function linesPage(): void {
  setUpToggle(render);
  render();
  void refresh();
}
