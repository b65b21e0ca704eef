import { Injectable } from '@nestjs/common';
import { counter, histogram } from '@app/common';

/** The coupon service's own Prometheus metrics (default registry, served at /metrics). */
@Injectable()
export class CouponMetrics {
  readonly issued = counter({
    name: 'coupon_issue_total',
    help: 'Issue requests by outcome',
    labelNames: ['outcome'] as const,
  });
  readonly duration = histogram({
    name: 'coupon_issue_duration_seconds',
    help: 'Time to answer an issue request',
    labelNames: ['outcome'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  });
}
