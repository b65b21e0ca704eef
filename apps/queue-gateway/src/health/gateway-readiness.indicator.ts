import { BeforeApplicationShutdown, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { CatalogCache } from '../catalog/catalog-cache';
import { LineStateService } from '../queue/line-state.service';

/**
 * Readiness of a gateway: it can answer waiters now. That needs its coupon
 * catalogue and the offsets of every line with stock, loaded once; after that
 * polls, streams and the line state are answered from memory, so a blip of
 * Kafka, Redis or the coupon service does not take a healthy gateway (and with
 * it every gateway at once) out of service. Those are /health/dependencies.
 * A stopping gateway is not ready, so the load balancer drains it first.
 */
@Injectable()
export class GatewayReadinessIndicator implements BeforeApplicationShutdown {
  private stopping = false;

  constructor(
    private readonly catalog: CatalogCache,
    private readonly lines: LineStateService,
    private readonly health: HealthIndicatorService,
  ) {}

  beforeApplicationShutdown(): void {
    this.stopping = true;
  }

  isReady(key = 'gateway') {
    const indicator = this.health.check(key);
    if (this.stopping) return indicator.down({ message: 'shutting down' });
    if (!this.catalog.ready) return indicator.down({ message: 'coupon catalogue not loaded yet' });
    const unloaded = this.lines.loadMissing();
    if (unloaded.length > 0) {
      return indicator.down({ message: 'line offsets not loaded yet', lines: unloaded });
    }
    return indicator.up({ lines: this.catalog.codes().length });
  }
}
