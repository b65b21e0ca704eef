// Every word the page shows, in English and Korean. The language comes from
// ?lang=en|ko, else the toggle's choice (localStorage wr.lang), else the browser.

const TEXT = {
  skip: ['Skip to content', '본문으로 건너뛰기'],
  allLines: ['All lines', '전체 대기열'],
  linesTitle: ['Coupon lines', '쿠폰 대기열'],
  linesIntro: ['Pick a coupon to join its line.', '쿠폰을 골라 대기열에 서세요.'],
  colCoupon: ['Coupon', '쿠폰'],
  colStock: ['Stock left', '남은 수량'],
  colWaiting: ['People waiting', '대기 인원'],
  colState: ['State', '상태'],
  noLines: ['No lines are open right now.', '지금 열린 대기열이 없습니다.'],
  loading: ['Loading…', '불러오는 중…'],
  pageTitle: ['Waiting room', '대기실'],
  couponTitle: ['Coupon {code}', '{code} 쿠폰'],
  scheduled: ['Opens soon: pre-queue', '오픈 예정: 사전 대기'],
  open: ['Open', '진행 중'],
  paused: ['Paused', '일시 중지'],
  closed: ['Closed to new arrivals', '신규 대기 마감'],
  ended: ['Ended', '종료'],
  sold_out: ['Sold out', '품절'],
  unknownState: ['Starting…', '준비 중…'],
  joinTitle: ['Take a place in line', '대기열에 서기'],
  joinIntro: [
    'Your place is kept if you reload or close this page.',
    '새로 고침하거나 페이지를 닫아도 순서는 유지됩니다.',
  ],
  userId: ['Your user id', '사용자 ID'],
  userHint: ['Remembered on this device.', '이 기기에 저장됩니다.'],
  getCoupon: ['Get coupon', '쿠폰 받기'],
  inLine: ['You are in line', '대기 중입니다'],
  place: ['Place {place} · ticket {id}', '{place}번째 · 티켓 {id}'],
  placePre: ['In the pre-queue · ticket {id}', '사전 대기열 · 티켓 {id}'],
  etaDrawShort: ['Waiting for the draw', '추첨 대기 중'],
  ahead: ['People ahead of you', '내 앞 대기 인원'],
  behind: ['People behind you', '내 뒤 대기 인원'],
  progress: ['Your way to the front', '맨 앞까지 진행률'],
  progressText: ['{done} of {total}', '{total}명 중 {done}명'],
  eta: ['Estimated wait', '예상 대기 시간'],
  etaNow: ['Any moment now', '곧 입장합니다'],
  etaDraw: [
    'The draw is at {time}: everyone here before then gets a place in random order',
    '{time}에 추첨: 그 전에 온 모든 분의 순서를 무작위로 정합니다',
  ],
  announceDraw: [
    'You are in the pre-queue. The draw is at {time}.',
    '사전 대기열에 있습니다. 추첨은 {time}입니다.',
  ],
  etaPaused: ['Unknown: the line is paused', '알 수 없음: 대기열이 일시 중지됨'],
  etaAbout: ['About {t}', '약 {t}'],
  etaBetween: ['{a} to {b}', '{a}~{b}'],
  etaLikely: ['Likely between {a} and {b}', '{a}~{b} 사이일 가능성이 높음'],
  etaRough: [
    'Rough estimate: the pace is not steady yet',
    '대략적인 추정: 입장 속도가 아직 일정하지 않음',
  ],
  rate: ['Admission rate', '입장 속도'],
  rateValue: ['{n} people per second', '초당 {n}명'],
  rateSet: ['{n} per second (set)', '초당 {n}명 (설정값)'],
  ratePaused: ['0 (paused)', '0 (일시 중지)'],
  waited: ['Waited so far', '지금까지 대기'],
  lineState: ['Line', '대기열 상태'],
  stock: ['Coupons left', '남은 쿠폰'],
  stockValue: ['{n} of {total}', '{total}장 중 {n}장'],
  cancel: ['Leave the line', '대기 취소'],
  yourTurn: ['It is your turn. Getting your coupon…', '차례가 되었습니다. 쿠폰을 받는 중…'],
  polling: [
    'Live updates interrupted; checking every few seconds.',
    '실시간 연결이 끊겨 몇 초마다 확인합니다.',
  ],
  busy: ['The service is busy. Trying again…', '서비스가 혼잡합니다. 다시 시도하는 중…'],
  announce: [
    '{ahead} people ahead of you. Estimated wait: {eta}.',
    '앞에 {ahead}명. 예상 대기 시간: {eta}.',
  ],
  announcePaused: [
    'The line is paused. {ahead} people ahead of you.',
    '대기열이 일시 중지되었습니다. 앞에 {ahead}명.',
  ],
  announceOpen: [
    'The line is open again. {ahead} people ahead of you.',
    '대기열이 다시 열렸습니다. 앞에 {ahead}명.',
  ],
  issuedH: ['You got the coupon', '쿠폰을 받았습니다'],
  issuedP: ['It is in your wallet.', '내 쿠폰함에 담겼습니다.'],
  walletCoupon: ['Coupon', '쿠폰'],
  walletId: ['Wallet entry', '쿠폰함 항목'],
  walletUser: ['User', '사용자'],
  walletAt: ['Issued at', '발급 시각'],
  alreadyH: ['You already have this coupon', '이미 받은 쿠폰입니다'],
  alreadyP: [
    'One per person. It is in your wallet.',
    '한 사람당 한 장입니다. 쿠폰함을 확인하세요.',
  ],
  soldOutH: ['Sold out', '모두 소진되었습니다'],
  soldOutP: [
    'All coupons were given out before your turn. Try another line.',
    '차례가 오기 전에 쿠폰이 모두 나갔습니다. 다른 쿠폰을 골라 보세요.',
  ],
  endedH: ['The event has ended', '이벤트가 종료되었습니다'],
  endedP: [
    'The line ended before your turn. Thank you for waiting.',
    '차례가 오기 전에 대기열이 종료되었습니다. 기다려 주셔서 감사합니다.',
  ],
  closedH: ['The line is closed', '대기열이 마감되었습니다'],
  closedP: [
    'This line takes no new places. Those already in line keep theirs.',
    '이 대기열은 더 이상 새로 설 수 없습니다. 이미 선 분들의 순서는 유지됩니다.',
  ],
  cancelledH: ['You left the line', '대기를 취소했습니다'],
  cancelledP: ['Your place was released.', '내 자리는 반납되었습니다.'],
  abandonedH: ['Your turn was skipped', '차례가 지나갔습니다'],
  abandonedP: [
    'The page was closed when your turn came.',
    '차례가 왔을 때 페이지가 닫혀 있었습니다.',
  ],
  expiredH: ['Your turn has expired', '입장 시간이 지났습니다'],
  expiredP: [
    'The few minutes to get the coupon are over.',
    '쿠폰을 받을 수 있는 시간이 지났습니다.',
  ],
  spentH: ['This place was already used', '이미 사용한 순서입니다'],
  spentP: ['Check your wallet.', '쿠폰함을 확인하세요.'],
  lostH: ['Your turn could not be confirmed', '순서를 확인할 수 없습니다'],
  lostP: [
    'The waiting room has no record of your admission. You can join again.',
    '대기열에 입장 기록이 없습니다. 다시 줄을 설 수 있습니다.',
  ],
  unknownH: ['No such coupon', '없는 쿠폰입니다'],
  unknownP: ['Choose one from the list.', '목록에서 골라 주세요.'],
  errorH: ['Something went wrong', '문제가 발생했습니다'],
  errorP: ['Please try again in a moment.', '잠시 후 다시 시도해 주세요.'],
  joinAgain: ['Join again', '다시 줄 서기'],
  lost: [
    'Your ticket was not found. You can join again.',
    '티켓을 찾을 수 없습니다. 다시 줄을 서 주세요.',
  ],
  sec: ['{s} s', '{s}초'],
  min: ['{m} min {s} s', '{m}분 {s}초'],
  hour: ['{h} h {m} min', '{h}시간 {m}분'],
} satisfies Record<string, [string, string]>;

type Key = keyof typeof TEXT;

export type Lang = 'en' | 'ko';
export type TextKey = Key;

const isLang = (v: unknown): v is Lang => v === 'en' || v === 'ko';

const stored = (key: string): string | null => {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
};

export const store = (key: string, value: string | null): void => {
  try {
    if (value === null) localStorage.removeItem(key);
    else localStorage.setItem(key, value);
  } catch {
    // private mode or storage disabled: the page works, it just forgets
  }
};

export { stored };

export let lang: Lang = ((): Lang => {
  const fromUrl = new URLSearchParams(location.search).get('lang');
  if (isLang(fromUrl)) return fromUrl;
  const saved = stored('wr.lang');
  if (isLang(saved)) return saved;
  return (navigator.language || '').toLowerCase().startsWith('ko') ? 'ko' : 'en';
})();

export function t(key: Key, vars: Record<string, string | number> = {}): string {
  return TEXT[key][lang === 'ko' ? 1 : 0].replace(/\{(\w+)\}/g, (_, name: string) =>
    String(vars[name] ?? ''),
  );
}

export const num = (n: number, digits = 0): string =>
  new Intl.NumberFormat(lang, { maximumFractionDigits: digits }).format(n);

/** 45 s, 2 min 5 s, 1 h 3 min (or Korean). */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return t('sec', { s });
  if (s < 3600) return t('min', { m: Math.floor(s / 60), s: s % 60 });
  return t('hour', { h: Math.floor(s / 3600), m: Math.floor((s % 3600) / 60) });
}

/** Fills every [data-i18n] element and sets <html lang>. */
export function applyStatic(): void {
  document.documentElement.lang = lang;
  for (const el of document.querySelectorAll<HTMLElement>('[data-i18n]')) {
    el.textContent = t(el.dataset.i18n as Key);
  }
}

/** The visible language toggle: shows the other language, remembers the choice. */
export function setUpToggle(rerender: () => void): void {
  const button = document.querySelector<HTMLButtonElement>('[data-testid="lang"]');
  if (!button) return;
  const label = () => {
    const other: Lang = lang === 'en' ? 'ko' : 'en';
    button.textContent = other === 'ko' ? '한국어' : 'English';
    button.lang = other;
  };
  label();
  button.hidden = false;
  button.addEventListener('click', () => {
    lang = lang === 'en' ? 'ko' : 'en';
    store('wr.lang', lang);
    const url = new URL(location.href);
    if (url.searchParams.has('lang')) {
      url.searchParams.set('lang', lang);
      history.replaceState(null, '', url);
    }
    label();
    applyStatic();
    rerender();
  });
}
