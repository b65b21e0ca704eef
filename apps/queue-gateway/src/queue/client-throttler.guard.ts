import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  ThrottlerGuard,
  ThrottlerLimitDetail,
  type ThrottlerModuleOptions,
  ThrottlerRequest,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import { DomainError } from '@app/common/errors';
import { Env } from '@app/config';
import { IssueController } from './issue.controller';
import { ticketFor } from './ticket-cookie';
import { TicketsController } from './tickets.controller';

/** The two budgets of a client (ThrottlerModule's named throttlers). */
export type RequestKind = 'join' | 'poll';

interface ThrottledRequest {
  ip: string;
  headers: Record<string, string | string[] | undefined>;
  params?: Record<string, string>;
  body?: { userId?: unknown };
}

/**
 * Per-client rate limits on the waiting room's own routes, counted in Redis so
 * every gateway shares them (@nestjs/throttler with its Redis storage):
 * first requests ("join": POST issue without a ticket) and everything a
 * holder repeats ("poll": POST issue with a ticket, status, events, beat).
 * A client is its IP (X-Forwarded-For through the ingress) or, with
 * RATE_LIMIT_KEY=user, the userId it names. Over the limit: 429
 * RATE_LIMITED with Retry-After, through the one exception filter.
 * RATE_LIMIT_ALLOW_LIST is exempt (loopback by default, so the local bench,
 * the Locust swarm and the tests measure the product, not the limiter).
 */
@Injectable()
export class ClientThrottlerGuard extends ThrottlerGuard {
  private static readonly routes = new Set<unknown>([IssueController, TicketsController]);
  private readonly allow: Set<string>;
  private readonly keyBy: Env['RATE_LIMIT_KEY'];

  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    env: Env,
  ) {
    super(options, storage, reflector);
    this.allow = allowList(env);
    this.keyBy = env.RATE_LIMIT_KEY;
  }

  protected override async shouldSkip(context: ExecutionContext): Promise<boolean> {
    if (!ClientThrottlerGuard.routes.has(context.getClass())) return true;
    const req = context.switchToHttp().getRequest<ThrottledRequest>();
    return this.allow.has(req.ip);
  }

  protected override async handleRequest(props: ThrottlerRequest): Promise<boolean> {
    // A limit of 0 switches that budget off; each request spends one budget only.
    if (props.limit <= 0 || props.throttler.name !== kindOf(props.context)) return true;
    return super.handleRequest(props);
  }

  protected override async getTracker(req: Record<string, unknown>): Promise<string> {
    const r = req as unknown as ThrottledRequest;
    const user = r.body?.userId;
    if (this.keyBy === 'user' && typeof user === 'string' && user !== '') return `user:${user}`;
    return `ip:${r.ip}`;
  }

  protected override async throwThrottlingException(
    context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    const kind = kindOf(context);
    const seconds = Math.max(1, Math.ceil(detail.timeToBlockExpire || detail.timeToExpire));
    throw new DomainError(
      429,
      'RATE_LIMITED',
      `Too many ${kind === 'join' ? 'first requests' : 'requests for tickets'} from this client: at most ${detail.limit} a minute; try again in ${seconds} s`,
      { retryAfterSeconds: seconds },
    );
  }
}

/** The client IPs RATE_LIMIT_ALLOW_LIST exempts ('none': nobody). */
export const allowList = (env: Env): Set<string> =>
  new Set(
    env.RATE_LIMIT_ALLOW_LIST.split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '' && s !== 'none'),
  );

/** A first request spends the join budget; anything done with a ticket, the poll budget. */
export function kindOf(context: ExecutionContext): RequestKind {
  if (context.getClass() !== IssueController) return 'poll';
  const req = context.switchToHttp().getRequest<ThrottledRequest>();
  return ticketFor(req.headers as never, req.params?.code ?? '') ? 'poll' : 'join';
}
