import { Inject, Injectable } from '@nestjs/common';
import { createChallenge, verifySolution, type Challenge, type Payload } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/pbkdf2';
import Redis from 'ioredis';
import { createHmac, randomInt } from 'node:crypto';
import { DomainError, UnavailableError } from '@app/common';
import { Env } from '@app/config';
import { RedisKeys } from '@app/queue';
import { REDIS } from '@app/redis';

/** The key derivation every challenge asks for: PBKDF2-SHA-256 at this many iterations per try. */
export const POW_ALGORITHM = 'PBKDF2/SHA-256';
export const POW_COST = 1000;
/** A challenge must be solved and used within this long. */
export const POW_TTL_MS = 5 * 60_000;
/** What the admin API suggests: about a second of one browser core (docs/waiting-page.md). */
export const POW_SUGGESTED_DIFFICULTY = 5000;
/** The widget's payload is base64 JSON of a few hundred bytes. */
export const POW_PAYLOAD_MAX_LENGTH = 4096;

const invalid = (why: string) =>
  new DomainError(403, 'PROOF_OF_WORK_INVALID', `The proof of work was refused: ${why}`);

/**
 * Optional proof of work on joining a line (ALTCHA, PoW v2 with altcha-lib):
 * a line's `powDifficulty` (admin API; 0 = off, the default) is the highest
 * counter a challenge may hide, so a client tries about 3/4 of it in PBKDF2
 * derivations before it may take a place. The gateway's side is cheap:
 * challenges are deterministic (the counter is chosen here and the derived key
 * signed), so verifying is two HMACs, not a derivation.
 *
 * - Challenges are signed with keys derived from TICKET_SECRET (no secret of
 *   its own to provision), expire after POW_TTL_MS and name their line.
 * - A solution is used once: its challenge signature is recorded in Redis
 *   (SET NX) until the challenge expires, on every gateway.
 */
@Injectable()
export class ProofOfWork {
  private readonly signatureSecret: string;
  private readonly keySecret: string;

  constructor(
    env: Env,
    @Inject(REDIS) private readonly redis: Redis,
  ) {
    const derive = (purpose: string) =>
      createHmac('sha256', env.TICKET_SECRET).update(`altcha:${purpose}`).digest('hex');
    this.signatureSecret = derive('challenge');
    this.keySecret = derive('key');
  }

  /** A fresh challenge for the line at the given difficulty (the widget's challenge URL). */
  challenge(line: string, difficulty: number): Promise<Challenge> {
    const top = Math.max(2, Math.floor(difficulty));
    return createChallenge({
      algorithm: POW_ALGORITHM,
      cost: POW_COST,
      counter: randomInt(Math.ceil(top / 2), top + 1),
      deriveKey,
      expiresAt: new Date(Date.now() + POW_TTL_MS),
      data: { line },
      hmacSignatureSecret: this.signatureSecret,
      hmacKeySignatureSecret: this.keySecret,
    });
  }

  /** Checks a join's payload: genuine, solved, unexpired, for this line, not used before. Throws 403. */
  async verify(line: string, payload: string | undefined): Promise<void> {
    if (!payload) {
      throw new DomainError(
        403,
        'PROOF_OF_WORK_REQUIRED',
        `Line ${line} asks for a proof of work: solve GET /api/lines/${line}/challenge and send it as "altcha"`,
      );
    }
    let parsed: Payload;
    try {
      parsed = JSON.parse(Buffer.from(payload, 'base64').toString('utf8')) as Payload;
    } catch {
      throw invalid('not a base64 JSON payload');
    }
    const challenge = parsed?.challenge;
    if (!challenge?.parameters || !challenge.signature || !parsed.solution) {
      throw invalid('no challenge or solution');
    }
    if (challenge.parameters.algorithm !== POW_ALGORITHM) throw invalid('another algorithm');
    let result: Awaited<ReturnType<typeof verifySolution>>;
    try {
      result = await verifySolution({
        challenge,
        solution: parsed.solution,
        deriveKey,
        hmacSignatureSecret: this.signatureSecret,
        hmacKeySignatureSecret: this.keySecret,
      });
    } catch {
      throw invalid('malformed');
    }
    if (result.expired) throw invalid('the challenge expired');
    if (!result.verified) throw invalid(result.invalidSignature ? 'forged' : 'wrong solution');
    if (challenge.parameters.data?.line !== line) throw invalid('a challenge of another line');
    const expiresAtMs = (challenge.parameters.expiresAt ?? 0) * 1000;
    const ttl = Math.max(1000, expiresAtMs - Date.now());
    let first: string | null;
    try {
      first = await this.redis.set(RedisKeys.powUsed(challenge.signature), '1', 'PX', ttl, 'NX');
    } catch (error) {
      throw new UnavailableError(`Redis is unavailable: ${(error as Error).message}`, 1);
    }
    if (first === null) throw invalid('this solution was used already');
  }
}
