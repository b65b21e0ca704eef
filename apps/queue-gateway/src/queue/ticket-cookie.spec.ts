import type { FastifyReply } from 'fastify';
import { Env } from '@app/config';
import {
  fromBrowser,
  isFormNavigation,
  setTicketCookie,
  ticketCookies,
  ticketFor,
} from './ticket-cookie';

const replyRecorder = () => {
  const headers: Record<string, string> = {};
  const reply = {
    header(name: string, value: string) {
      headers[name] = value;
      return reply;
    },
  };
  return { reply: reply as unknown as FastifyReply, headers };
};

describe('ticket cookie', () => {
  it('reads only wrt_* cookies, by line, and prefers the header', () => {
    const headers = { cookie: 'session=1; wrt_A0001=tok-a; wrt_B0001=tok-b; wrt_C0001=' };
    expect([...ticketCookies(headers)]).toEqual([
      ['A0001', 'tok-a'],
      ['B0001', 'tok-b'],
    ]);
    expect(ticketFor(headers, 'B0001')).toBe('tok-b');
    expect(ticketFor({ ...headers, 'x-queue-ticket': 'hdr' }, 'B0001')).toBe('hdr');
    expect(ticketFor(headers, 'Z0001')).toBeUndefined();
    expect(ticketFor({}, 'A0001')).toBeUndefined();
  });

  it('tells browsers and form navigations from API clients', () => {
    expect(fromBrowser({ 'sec-fetch-mode': 'cors' })).toBe(true);
    expect(fromBrowser({ 'user-agent': 'curl/8' })).toBe(false);
    expect(isFormNavigation({ 'sec-fetch-mode': 'navigate' })).toBe(true);
    expect(isFormNavigation({ 'content-type': 'application/x-www-form-urlencoded' })).toBe(true);
    expect(isFormNavigation({ 'content-type': 'application/json', 'sec-fetch-mode': 'cors' })).toBe(
      false,
    );
  });

  it('is HttpOnly, SameSite=Lax, and Secure in production or when asked', () => {
    const make = (over: Partial<Env>) => {
      const { reply, headers } = replyRecorder();
      setTicketCookie(reply, Object.assign(new Env(), over), 'A0001', 'tok');
      return headers['Set-Cookie'];
    };
    const dev = make({ NODE_ENV: 'development' });
    expect(dev).toMatch(/^wrt_A0001=tok; Max-Age=86400; Path=\/; HttpOnly; SameSite=Lax$/);
    expect(make({ NODE_ENV: 'production' })).toMatch(/; Secure/);
    expect(make({ NODE_ENV: 'production', TICKET_COOKIE_SECURE: 'false' })).not.toMatch(/Secure/);
    expect(make({ NODE_ENV: 'development', TICKET_COOKIE_SECURE: 'true' })).toMatch(/; Secure/);
  });
});
