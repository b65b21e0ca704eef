/**
 * The proof of work's costs (issue 10): what the gateway spends to hand out and to check
 * one ALTCHA challenge (the gateway's own ProofOfWork class, its Redis replay check
 * included), and what solving one at the suggested difficulty costs a client (altcha-lib's
 * solver in this Node process, one core; the browser suite records Chromium's own time).
 */
import { solveChallenge } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/pbkdf2';
import {
  POW_SUGGESTED_DIFFICULTY,
  ProofOfWork,
} from '../../apps/queue-gateway/src/queue/proof-of-work';
import { Phase } from '../stack';

const VERIFIES = 500;
const SOLVES = 3;
const LINE = 'POWBENCH';

const round3 = (x: number) => Math.round(x * 1000) / 1000;
const encode = (challenge: object, solution: object) =>
  Buffer.from(JSON.stringify({ challenge, solution })).toString('base64');

export const proofOfWorkPhase: Phase = {
  name: 'proof of work: challenge, verify and solve costs',
  needsStack: false,
  async run(b) {
    const { figures } = b;
    const redis = b.redis(b.redisPrefix);
    try {
      const pow = new ProofOfWork(b.base, redis);
      // Handing out: one challenge of the suggested difficulty (one derivation here).
      let t = process.hrtime.bigint();
      const easy = [];
      for (let i = 0; i < VERIFIES; i++) easy.push(await pow.challenge(LINE, 2));
      figures.powChallengeMs = round3(Number(process.hrtime.bigint() - t) / 1e6 / VERIFIES);
      // Checking: distinct solved challenges (a solution is accepted once); the
      // difficulty does not change the check (a signed key, not a derivation).
      const payloads = [];
      for (const c of easy) {
        const solution = await solveChallenge({ challenge: c, deriveKey });
        payloads.push(encode(c, solution!));
      }
      t = process.hrtime.bigint();
      for (const p of payloads) await pow.verify(LINE, p);
      figures.powVerifyMs = round3(Number(process.hrtime.bigint() - t) / 1e6 / VERIFIES);
      // Solving at the suggested difficulty.
      const times: number[] = [];
      for (let i = 0; i < SOLVES; i++) {
        const c = await pow.challenge(LINE, POW_SUGGESTED_DIFFICULTY);
        const t0 = Date.now();
        const solution = await solveChallenge({ challenge: c, deriveKey });
        times.push(Date.now() - t0);
        await pow.verify(LINE, encode(c, solution!));
      }
      figures.powSolveMs = Math.round(times.reduce((a, x) => a + x, 0) / times.length);
      figures.powDifficulty = POW_SUGGESTED_DIFFICULTY;
    } finally {
      redis.disconnect();
    }
  },
};

/** The report's section for this phase. */
export function proofOfWorkSection(f: (k: string, unit?: string) => string): string {
  return `
## Proof of work (ALTCHA)

Off by default; a line's \`powDifficulty\` turns it on (docs/waiting-page.md). Measured with the
gateway's own ProofOfWork class (altcha-lib, PBKDF2-SHA-256 at 1,000 iterations a try):

| what | cost |
| --- | ---: |
| the gateway hands out one challenge (one derivation) | ${f('powChallengeMs', ' ms')} |
| the gateway checks one solution (two HMACs and the Redis replay check) | ${f('powVerifyMs', ' ms')} |
| a client solves one at the suggested difficulty ${f('powDifficulty')} (Node, one core, mean of ${SOLVES}) | ${f('powSolveMs', ' ms')} |

Chromium's own time for the same difficulty is printed by the browser suite
(test/e2e/waiting-page.e2e-spec.ts, "[pow] Chromium solved ...").
`;
}
