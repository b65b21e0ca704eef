import { CanActivate, ExecutionContext, Injectable, Logger } from '@nestjs/common';
import { RpcException, TcpContext } from '@nestjs/microservices';
import { createHash, timingSafeEqual } from 'node:crypto';
import { COUPON_AUTH_FIELD } from '@app/contracts';
import { Env } from '@app/config';

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** Most refusal log lines per minute, whatever the number of connections. */
const MAX_REFUSAL_LOGS_PER_MINUTE = 10;

/**
 * Every TCP message must carry COUPON_SERVICE_TOKEN in its `auth` field (added by
 * the gateway's CouponClient). Both sides are hashed first so the comparison is
 * constant-time whatever the presented length. A missing or wrong token is refused
 * with an RpcException "unauthorized ..." before the handler runs (the gateway
 * answers 503: a token mismatch is a misconfiguration); an accepted message loses
 * its `auth` field, so the handlers see only the contract's payload.
 *
 * Refusals are logged at most once per connection and at most
 * {@link MAX_REFUSAL_LOGS_PER_MINUTE} times a minute overall, never with the token.
 */
@Injectable()
export class CouponAuthGuard implements CanActivate {
  private readonly logger = new Logger('CouponAuth');
  private readonly expected: Buffer;
  private readonly loggedConnections = new WeakSet<object>();
  private windowStart = 0;
  private logsInWindow = 0;
  private suppressed = 0;

  constructor(env: Env) {
    this.expected = digest(env.COUPON_SERVICE_TOKEN);
  }

  canActivate(context: ExecutionContext): boolean {
    const data: unknown = context.switchToRpc().getData();
    const payload =
      data !== null && typeof data === 'object' ? (data as Record<string, unknown>) : undefined;
    const presented = payload?.[COUPON_AUTH_FIELD];
    if (!payload || typeof presented !== 'string' || presented === '') {
      return this.refuse(context, 'no token');
    }
    if (!timingSafeEqual(digest(presented), this.expected)) {
      return this.refuse(context, 'a wrong token');
    }
    // The handlers see the contract's payload only.
    delete payload[COUPON_AUTH_FIELD];
    return true;
  }

  private refuse(context: ExecutionContext, reason: string): never {
    this.logRefusal(context, reason);
    throw new RpcException('unauthorized');
  }

  private logRefusal(context: ExecutionContext, reason: string): void {
    const tcp = context.switchToRpc().getContext<TcpContext | undefined>();
    const connection = tcp instanceof TcpContext ? tcp.getSocketRef() : undefined;
    if (connection) {
      if (this.loggedConnections.has(connection)) return;
      this.loggedConnections.add(connection);
    }
    const now = Date.now();
    if (now - this.windowStart >= 60_000) {
      this.windowStart = now;
      this.logsInWindow = 0;
    }
    if (this.logsInWindow >= MAX_REFUSAL_LOGS_PER_MINUTE) {
      this.suppressed++;
      return;
    }
    this.logsInWindow++;
    const pattern = tcp instanceof TcpContext ? tcp.getPattern() : context.getHandler().name;
    const socket = connection?.socket;
    const peer = socket?.remoteAddress ? `${socket.remoteAddress}:${socket.remotePort}` : 'a peer';
    const more = this.suppressed > 0 ? `; ${this.suppressed} more refusals were not logged` : '';
    this.suppressed = 0;
    this.logger.warn(
      `unauthorized ${pattern} from ${peer} refused: ${reason} (is COUPON_SERVICE_TOKEN the ` +
        `same for the gateway and the coupon service?); not logged again for this connection${more}`,
    );
  }
}
