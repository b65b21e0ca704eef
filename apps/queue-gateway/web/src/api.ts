// The gateway's HTTP API as the page uses it (docs/waiting-page.md).

export type TicketStatusName =
  | 'scheduled'
  | 'waiting'
  | 'admitted'
  | 'spent'
  | 'cancelled'
  | 'abandoned'
  | 'expired'
  | 'sold_out'
  | 'ended'
  | 'lost';

export interface Numbers {
  uuid: string;
  partition: number;
  offset: number;
  committedOffset: number;
  endOffset: number;
  ahead: number;
  behind: number;
  etaSeconds: number | null;
  pollAfterMs: number;
  /** A pre-queue ticket of a scheduled line: when the draw gives it its place (epoch ms). */
  drawAt?: number | null;
}

/** GET /api/queue/tickets/{uuid}, the SSE `ticket` and `outcome` events. */
export interface TicketStatus extends Numbers {
  status: TicketStatusName;
  line: string;
  userId: string;
  passExpiresAt: number | null;
}

/** GET /api/lines/{code}, the SSE `line` event. */
export interface LineState {
  line: string;
  state: 'scheduled' | 'open' | 'paused' | 'closed' | 'ended' | 'sold_out';
  opensAt?: number | null;
  closesAt?: number | null;
  /** > 0: a first request needs an ALTCHA proof of work (GET /api/lines/{code}/challenge). */
  powDifficulty?: number;
  partitions: Array<{ partition: number; committedOffset: number; endOffset: number }>;
  waiting: number;
  ratePerSec: number | null;
  configuredRatePerSec: number;
  remaining: number;
  quantity: number;
  soldOut: boolean;
  refreshedAt: number;
}

export interface Coupon {
  code: string;
  name: string;
  discount: number;
  quantity: number;
  remaining: number;
}

export interface Issued {
  walletId: string;
  couponCode: string;
  userId: string;
  issuedAt: string;
}

export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
}

export interface Answer<T = unknown> {
  status: number;
  body: T;
  /** Seconds from Retry-After (1 when absent). */
  retryAfter: number;
}

/**
 * A same-origin JSON request; a network failure is status 0. The HTTP cache is
 * left to the gateway's headers (the line state is cacheable, tickets no-store).
 */
export async function call<T = unknown>(
  method: string,
  path: string,
  json?: unknown,
): Promise<Answer<T>> {
  try {
    const res = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers:
        json === undefined
          ? { accept: 'application/json' }
          : { 'content-type': 'application/json', accept: 'application/json' },
      body: json === undefined ? undefined : JSON.stringify(json),
    });
    const text = await res.text();
    let body: unknown = undefined;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    return {
      status: res.status,
      body: body as T,
      retryAfter: Number(res.headers.get('retry-after')) || 1,
    };
  } catch {
    return { status: 0, body: undefined as T, retryAfter: 2 };
  }
}

export const errorCode = (a: Answer): string =>
  (a.body as ErrorBody | undefined)?.error ?? (a.status === 0 ? 'NETWORK' : `HTTP_${a.status}`);
