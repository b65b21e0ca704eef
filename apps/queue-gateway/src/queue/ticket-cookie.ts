import { parse, serialize } from 'cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Env } from '@app/config';

/** A browser keeps its ticket for a line in the HttpOnly cookie `wrt_{code}`. */
export const TICKET_COOKIE_PREFIX = 'wrt_';
export const TICKET_HEADER = 'x-queue-ticket';
/** How long a browser keeps a ticket cookie: a day, longer than any wait. */
export const TICKET_COOKIE_MAX_AGE_SECONDS = 24 * 3600;

export const ticketCookieName = (line: string): string => `${TICKET_COOKIE_PREFIX}${line}`;

type Headers = FastifyRequest['headers'];

/** Every ticket cookie the request carries, by line. Parsed only when a route needs it. */
export function ticketCookies(headers: Headers): Map<string, string> {
  const found = new Map<string, string>();
  const raw = headers.cookie;
  if (!raw) return found;
  for (const [name, value] of Object.entries(parse(raw))) {
    if (name.startsWith(TICKET_COOKIE_PREFIX) && value) {
      found.set(name.slice(TICKET_COOKIE_PREFIX.length), value);
    }
  }
  return found;
}

/** The ticket of a request for `line`: the X-Queue-Ticket header first, else the line's cookie. */
export function ticketFor(headers: Headers, line: string): string | undefined {
  const header = headers[TICKET_HEADER];
  if (typeof header === 'string' && header !== '') return header;
  return ticketCookies(headers).get(line);
}

/**
 * A request from a browser: every current browser sends Sec-Fetch-Mode (on
 * fetch and on navigations); curl, SDKs and load tools do not. Only browsers
 * get the ticket as a cookie.
 */
export const fromBrowser = (headers: Headers): boolean => headers['sec-fetch-mode'] !== undefined;

/**
 * A top-level form submission (not fetch/XHR): it must get a 303 to the page,
 * never a 307 that the browser would re-POST in a loop.
 */
export function isFormNavigation(headers: Headers): boolean {
  if (headers['sec-fetch-mode'] === 'navigate') return true;
  const type = headers['content-type'] ?? '';
  return (
    type.startsWith('application/x-www-form-urlencoded') || type.startsWith('multipart/form-data')
  );
}

/** Sets the HttpOnly, SameSite=Lax ticket cookie of a line (Secure per TICKET_COOKIE_SECURE). */
export function setTicketCookie(reply: FastifyReply, env: Env, line: string, ticket: string): void {
  const secure =
    env.TICKET_COOKIE_SECURE === ''
      ? env.NODE_ENV === 'production'
      : env.TICKET_COOKIE_SECURE === 'true';
  reply.header(
    'Set-Cookie',
    serialize(ticketCookieName(line), ticket, {
      path: '/',
      httpOnly: true,
      sameSite: 'lax',
      secure,
      maxAge: TICKET_COOKIE_MAX_AGE_SECONDS,
    }),
  );
}
