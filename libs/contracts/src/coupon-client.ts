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
 * The gateway's only way to the coupon service. Every call is bounded by
 * COUPON_SERVICE_TIMEOUT_MS, and every transport failure (refused connection,
 * timeout, an error thrown inside the service) becomes an {@link UnavailableError}
 * (503 + Retry-After): the caller never sees a raw socket error or a 500.
 *
 * A timed-out issue is ambiguous (the service may have issued); retrying is
 * safe because a repeat for the same (coupon, user) answers `already_issued`.
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

  private async call<T>(pattern: string, data: unknown): Promise<T> {
    try {
      return await firstValueFrom(
        this.client.send<T>(pattern, data).pipe(timeout(this.env.COUPON_SERVICE_TIMEOUT_MS)),
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
