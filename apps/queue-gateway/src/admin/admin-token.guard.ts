import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import { DomainError } from '@app/common';
import { Env } from '@app/config';

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/**
 * Bearer ADMIN_TOKEN. Both sides are hashed first so the comparison is
 * constant-time whatever the presented length.
 */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  private readonly expected: Buffer;

  constructor(env: Env) {
    this.expected = digest(env.ADMIN_TOKEN);
  }

  canActivate(context: ExecutionContext): boolean {
    const header = context.switchToHttp().getRequest<{ headers: Record<string, unknown> }>()
      .headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match || !timingSafeEqual(digest(match[1]), this.expected)) {
      throw new DomainError(401, 'UNAUTHORIZED', 'A valid admin bearer token is required');
    }
    return true;
  }
}
