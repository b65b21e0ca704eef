import { jwtVerify } from 'jose';
import { loadEnv } from '@app/config';
import { InvalidTicketError, parsePreviousKeys, TicketSigner } from './ticket-signer';

const SECRET_A = 'a'.repeat(40);
const SECRET_B = 'b'.repeat(40);
const signer = (overrides: Record<string, string> = {}) =>
  new TicketSigner(
    loadEnv({
      TICKET_SECRET: SECRET_A,
      ADMIN_TOKEN: 'x'.repeat(16),
      COUPON_SERVICE_TOKEN: 'c'.repeat(16),
      ...overrides,
    }),
  );

const claims = { uuid: 'u-1', line: 'A0001', partition: 0, offset: 41, sub: 'alice' };
/** A fixed issue time a minute ago: tickets expire TICKET_TTL_SECONDS (a day) after it. */
const IAT = Math.floor(Date.now() / 1000) - 60;
const EXP = IAT + 86400;

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
const parts = (t: string) => t.split('.');

describe('TicketSigner', () => {
  it('round-trips the claims with kid in the header', async () => {
    const s = signer();
    const token = await s.sign({ ...claims, iat: IAT });
    expect(JSON.parse(Buffer.from(parts(token)[0], 'base64url').toString())).toMatchObject({
      alg: 'HS256',
      kid: 'k1',
    });
    await expect(s.verify(token)).resolves.toEqual({ ...claims, iat: IAT, exp: EXP });
  });

  it('refuses an expired ticket, and one claiming a longer life than this server grants', async () => {
    const s = signer({ TICKET_TTL_SECONDS: '3600' });
    const old = await s.sign({ ...claims, iat: Math.floor(Date.now() / 1000) - 3601 });
    await expect(s.verify(old)).rejects.toThrow(/expired/);
    // Signed where tickets lived a day; this server grants an hour.
    const long = await signer().sign(claims);
    await expect(s.verify(long)).rejects.toThrow(/expired/);
    await expect(signer().verify(long)).resolves.toMatchObject(claims);
  });

  it.each([
    ['offset', { offset: 1 }],
    ['partition', { partition: 3 }],
    ['user', { sub: 'mallory' }],
    ['line', { line: 'B0001' }],
  ])('rejects a payload with a changed %s', async (_name, change) => {
    const s = signer();
    const token = await s.sign(claims);
    const [h, p, sig] = parts(token);
    const payload = { ...JSON.parse(Buffer.from(p, 'base64url').toString()), ...change };
    await expect(s.verify(`${h}.${b64(payload)}.${sig}`)).rejects.toThrow(InvalidTicketError);
  });

  it('rejects a changed signature byte', async () => {
    const s = signer();
    const token = await s.sign(claims);
    const [h, p, sig] = parts(token);
    const bytes = Buffer.from(sig, 'base64url');
    bytes[0] ^= 1;
    await expect(s.verify(`${h}.${p}.${bytes.toString('base64url')}`)).rejects.toMatchObject({
      status: 401,
    });
  });

  it.each([
    '',
    'garbage',
    'a.b.c',
    'x'.repeat(5000),
    `${b64({ alg: 'none', kid: 'k1' })}.${b64(claims)}.`,
  ])('rejects garbage %#', async (token) => {
    await expect(signer().verify(token)).rejects.toThrow(InvalidTicketError);
  });

  it('rejects a ticket signed with another secret under the same kid', async () => {
    const token = await signer({ TICKET_SECRET: SECRET_B }).sign(claims);
    await expect(signer().verify(token)).rejects.toThrow(InvalidTicketError);
  });

  it('verifies a ticket signed with a previous key after rotation, and rejects unknown kids', async () => {
    const old = await signer().sign(claims);
    const rotated = signer({
      TICKET_SECRET: SECRET_B,
      TICKET_KEY_ID: 'k2',
      TICKET_PREVIOUS_KEYS: `k1:${SECRET_A}`,
    });
    await expect(rotated.verify(old)).resolves.toMatchObject(claims);
    const fresh = await rotated.sign(claims);
    expect(JSON.parse(Buffer.from(parts(fresh)[0], 'base64url').toString()).kid).toBe('k2');
    const dropped = signer({ TICKET_SECRET: SECRET_B, TICKET_KEY_ID: 'k2' });
    await expect(dropped.verify(old)).rejects.toThrow('unknown key id');
  });

  it('parses previous keys whose secrets contain colons and refuses malformed ones', () => {
    expect(parsePreviousKeys(` k0:${SECRET_A}:x , k9:${SECRET_B}`)).toEqual(
      new Map([
        ['k0', `${SECRET_A}:x`],
        ['k9', SECRET_B],
      ]),
    );
    expect(() => parsePreviousKeys('nokey')).toThrow('TICKET_PREVIOUS_KEYS');
    expect(() => parsePreviousKeys('k1:short')).toThrow('TICKET_PREVIOUS_KEYS');
  });

  // The verifier is hand-written for speed (see TicketSigner.verify); jose is the oracle.
  describe('agrees with jose', () => {
    const key = Buffer.from(SECRET_A);
    const joseAccepts = (token: string) =>
      jwtVerify(token, key, { algorithms: ['HS256'] }).then(
        () => true,
        () => false,
      );
    const ours = (token: string) =>
      signer()
        .verify(token)
        .then(
          () => true,
          () => false,
        );

    it('signs tokens jose verifies, with the claims and header it expects', async () => {
      const token = await signer().sign({ ...claims, iat: IAT });
      const { payload, protectedHeader } = await jwtVerify(token, key, { algorithms: ['HS256'] });
      expect(protectedHeader).toEqual({ alg: 'HS256', kid: 'k1', typ: 'queue-ticket' });
      expect(payload).toEqual({ ...claims, iat: IAT, exp: EXP });
    });

    it('on genuine and tampered tokens', async () => {
      const s = signer();
      const token = await s.sign(claims);
      const [h, p, sig] = parts(token);
      const flipped = Buffer.from(sig, 'base64url');
      flipped[31] ^= 0x80;
      const header = JSON.parse(Buffer.from(h, 'base64url').toString());
      const cases = [
        token,
        `${h}.${p}.${flipped.toString('base64url')}`,
        `${h}.${b64({ ...claims, iat: 1 })}.${sig}`,
        `${b64({ ...header, alg: 'HS512' })}.${p}.${sig}`,
        `${h}.${p}.${sig}.extra`,
        `${h}.${p}`,
        `${h}.${p}.${sig.slice(0, -2)}`,
        `${h}.${p}.${sig}A`,
        `${h}..${sig}`,
        `${h}.${p}.${sig.slice(0, 10)}!${sig.slice(10)}`,
      ];
      for (const t of cases) expect([t, await ours(t)]).toEqual([t, await joseAccepts(t)]);
      expect(await ours(token)).toBe(true);
      // Another spelling of the same signature bytes (the last character's unused bits) is refused.
      const last = sig[sig.length - 1];
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      const sibling = alphabet[alphabet.indexOf(last) ^ 1];
      expect(Buffer.from(sig.slice(0, -1) + sibling, 'base64url')).toEqual(
        Buffer.from(sig, 'base64url'),
      );
      expect(await ours(`${h}.${p}.${sig.slice(0, -1)}${sibling}`)).toBe(false);
    });
  });
});
