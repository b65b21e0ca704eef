import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { DomainError, UnavailableError } from '@app/common';
import { CouponClient, CouponView } from '@app/contracts';

/** How often the coupon list is refreshed. */
export const CATALOG_REFRESH_MS = 1000;

/**
 * The coupon catalogue (codes and remaining stock) cached in memory and
 * refreshed every second, so a first request for an unknown or sold-out
 * coupon is refused without writing Kafka and without a call per request.
 */
@Injectable()
export class CatalogCache implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('CatalogCache');
  private coupons?: Map<string, CouponView>;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private failing = false;
  /** Called with the codes, with stock, that a refresh saw for the first time (the gateway opens their lines). */
  onNewCoupons?: (codes: string[]) => void;

  constructor(private readonly client: CouponClient) {}

  onModuleInit(): void {
    void this.loop();
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  get ready(): boolean {
    return this.coupons !== undefined;
  }

  /** The coupon behind a line, or a 503 (catalogue not loaded yet) / 404 (no such coupon). */
  require(code: string): CouponView {
    if (!this.coupons) throw new UnavailableError('The coupon catalogue is not available yet', 1);
    const coupon = this.coupons.get(code);
    if (!coupon) throw new DomainError(404, 'UNKNOWN_COUPON', `There is no coupon ${code}`);
    return coupon;
  }

  /** The coupon as last seen, or undefined (unknown, or the catalogue is not loaded yet). */
  get(code: string): CouponView | undefined {
    return this.coupons?.get(code);
  }

  /** Every known coupon code. */
  codes(): string[] {
    return this.coupons ? [...this.coupons.keys()] : [];
  }

  /** True when the last refresh saw no stock left. */
  soldOut(code: string): boolean {
    return this.coupons?.get(code)?.remaining === 0;
  }

  async refresh(): Promise<void> {
    const list = await this.client.list();
    const fresh = list
      .filter((c) => c.remaining > 0 && !this.coupons?.has(c.code))
      .map((c) => c.code);
    this.coupons = new Map(list.map((c) => [c.code, c]));
    if (fresh.length > 0) this.onNewCoupons?.(fresh);
  }

  private async loop(): Promise<void> {
    try {
      await this.refresh();
      if (this.failing) this.logger.log('coupon catalogue refresh recovered');
      this.failing = false;
    } catch (error) {
      if (!this.failing)
        this.logger.warn(`coupon catalogue refresh failed: ${(error as Error).message}`);
      this.failing = true;
    }
    if (!this.stopped) {
      this.timer = setTimeout(() => void this.loop(), CATALOG_REFRESH_MS);
      this.timer.unref();
    }
  }
}
