import { Injectable, Module } from '@nestjs/common';
import type { IncomingHttpHeaders } from 'node:http';
import { createRemoteJWKSet, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { DomainError } from '@app/common/errors';
import { Env } from '@app/config';

/** Longest bearer token looked at (a JWT of a real identity provider is 1-2 KB). */
const MAX_TOKEN_LENGTH = 8192;

/**
 * Who the caller is. IDENTITY_MODE=body (development): the userId the request
 * names. IDENTITY_MODE=jwt (production): the `sub` of a bearer token issued by
 * the site the waiting room protects, verified with `jose` against its JWKS
 * (IDENTITY_JWKS_URL) or a shared key (IDENTITY_SECRET, HS256), with issuer and
 * audience checked; a userId the request also names must be that `sub`.
 *
 * Needed for a first request (taking a place) and for reading a wallet. A
 * ticket, once issued, is itself the credential of its holder (signed and bound
 * to the user), so polls and ticket routes do not verify the token again.
 */
@Injectable()
export class IdentityService {
  private readonly key?: JWTVerifyGetKey | Uint8Array;

  constructor(private readonly env: Env) {
    if (env.IDENTITY_MODE !== 'jwt') return;
    this.key = env.IDENTITY_JWKS_URL
      ? createRemoteJWKSet(new URL(env.IDENTITY_JWKS_URL), { cooldownDuration: 30_000 })
      : new TextEncoder().encode(env.IDENTITY_SECRET);
  }

  get mode(): Env['IDENTITY_MODE'] {
    return this.env.IDENTITY_MODE;
  }

  /**
   * The user this request acts for. `named` is the userId in the body or path;
   * in jwt mode it must equal the verified subject (403 otherwise), and a
   * missing or invalid token is a 401.
   */
  async userOf(headers: IncomingHttpHeaders, named: string): Promise<string> {
    if (this.env.IDENTITY_MODE !== 'jwt') return named;
    const subject = await this.verifiedSubject(headers.authorization);
    if (named !== subject) {
      throw new DomainError(
        403,
        'IDENTITY_MISMATCH',
        'The request names another user than the one its bearer token identifies',
      );
    }
    return subject;
  }

  private async verifiedSubject(authorization: string | undefined): Promise<string> {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    if (!match || match[1]!.length > MAX_TOKEN_LENGTH) {
      throw new DomainError(
        401,
        'IDENTITY_REQUIRED',
        'Sign in first: this waiting room needs the bearer token of the site it protects',
      );
    }
    try {
      const { payload } = await jwtVerify(match[1]!, this.key as never, {
        issuer: this.env.IDENTITY_ISSUER,
        audience: this.env.IDENTITY_AUDIENCE,
        algorithms: this.env.IDENTITY_JWKS_URL ? ['RS256', 'ES256', 'EdDSA'] : ['HS256'],
      });
      if (typeof payload.sub !== 'string' || payload.sub === '' || payload.sub.length > 64) {
        throw new Error('no usable sub claim');
      }
      return payload.sub;
    } catch (error) {
      if (error instanceof errors.JWKSTimeout) {
        // The identity provider's keys cannot be fetched now: not the caller's fault.
        throw new DomainError(
          503,
          'SERVICE_UNAVAILABLE',
          'The identity keys cannot be fetched now',
          {
            retryAfterSeconds: 2,
          },
        );
      }
      const reason =
        error instanceof errors.JWTExpired
          ? 'the token has expired'
          : error instanceof errors.JWTClaimValidationFailed
            ? `the token's ${error.claim} claim is not accepted`
            : 'the token is not valid';
      throw new DomainError(401, 'IDENTITY_INVALID', `Not signed in: ${reason}`);
    }
  }
}

/** Provides {@link IdentityService} to the controllers that need to know who is asking. */
@Module({ providers: [IdentityService], exports: [IdentityService] })
export class IdentityModule {}
