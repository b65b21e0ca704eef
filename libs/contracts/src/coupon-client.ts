import { Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { ClientProxy, ClientsModule, Transport } from '@nestjs/microservices';
import { firstValueFrom, timeout, TimeoutError } from 'rxjs';
import { UnavailableError } from '@app/common/errors';
import { Env } from '@app/config';
import {
  COUPON_SERVICE,
  CouponHealth,
  CouponPatterns,
  CouponView,
  IssueCouponCommand,
  IssueCouponResult,
  WalletEntry,
} from './coupon.contracts';

/**
 * The field every message to the coupon service carries COUPON_SERVICE_TOKEN in,
 * next to the pattern's own fields: `{ ...data, auth: token }`. The TCP transport
 * has no headers (a packet is only `{ pattern, data, id }`), so the secret rides in
 * the payload; the service's guard checks it and removes it before any handler runs,
 * so the contracts in coupon.contracts.ts stay as they are. No contract may use this
 * field name for anything else.
 */
export const COUPON_AUTH_FIELD = 'auth';

/** A message as it goes over the wire: the contract's payload plus the shared secret. */
export type WithCouponAuth<T extends object> = T & { [COUPON_AUTH_FIELD]: string };

/** Adds the shared secret to one message (CouponClient does it for every call). */
export function withCouponAuth<T extends object>(data: T, token: string): WithCouponAuth<T> {
  return { ...data, [COUPON_AUTH_FIELD]: token };
}

/**
 * The gateway's only way to the coupon service. Every call is bounded by
 * COUPON_SERVICE_TIMEOUT_MS, and every transport failure (refused connection,
 * timeout, an error thrown inside the service) becomes an {@link UnavailableError}
 * (503 + Retry-After): the caller never sees a raw socket error or a 500.
 *
 * A timed-out issue is ambiguous (the service may have issued); retrying is
 * safe because a repeat for the same (coupon, user) answers `already_issued`.
 *
 * Every message carries COUPON_SERVICE_TOKEN ({@link withCouponAuth}); a service
 * with another token refuses it ("unauthorized"), which surfaces here as a 503 like
 * any other failure: it is a misconfiguration of the deployment, not the caller's fault.
 */
@Injectable()
export class CouponClient implements OnApplicationShutdown {
  constructor(
    @Inject(COUPON_SERVICE) private readonly client: ClientProxy,
    private readonly env: Env,
  ) {}

  issue(cmd: IssueCouponCommand): Promise<IssueCouponResult> {
    return this.call(CouponPatterns.issue, cmd);
  }

  list(): Promise<CouponView[]> {
    return this.call(CouponPatterns.list, {});
  }

  wallet(userId: string): Promise<WalletEntry[]> {
    return this.call(CouponPatterns.wallet, { userId });
  }

  health(): Promise<CouponHealth> {
    return this.call(CouponPatterns.health, {});
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client.close();
  }

  private async call<T>(pattern: string, data: object): Promise<T> {
    const message = withCouponAuth(data, this.env.COUPON_SERVICE_TOKEN);
    try {
      return await firstValueFrom(
        this.client.send<T>(pattern, message).pipe(timeout(this.env.COUPON_SERVICE_TIMEOUT_MS)),
      );
    } catch (error) {
      throw toUnavailable(pattern, error);
    }
  }
}

export function toUnavailable(pattern: string, error: unknown): UnavailableError {
  if (error instanceof TimeoutError) {
    return new UnavailableError(`The coupon service did not answer ${pattern} in time`, 1);
  }
  const code = (error as { code?: unknown })?.code;
  const reason =
    typeof code === 'string' ? code : ((error as { message?: unknown })?.message ?? 'error');
  return new UnavailableError(`The coupon service is unavailable (${String(reason)})`, 1);
}

/** Registers the TCP ClientProxy (COUPON_SERVICE_HOST/PORT) and provides {@link CouponClient}. */
@Module({
  imports: [
    ClientsModule.registerAsync([
      {
        name: COUPON_SERVICE,
        inject: [Env],
        useFactory: (env: Env) => ({
          transport: Transport.TCP,
          options: { host: env.COUPON_SERVICE_HOST, port: env.COUPON_SERVICE_PORT },
        }),
      },
    ]),
  ],
  providers: [CouponClient],
  exports: [CouponClient],
})
export class CouponClientModule {}
