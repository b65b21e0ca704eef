import { definitionOf } from '@app/common';
import { CouponMetrics } from './coupon.metrics';

// Dashboards and alerts are written against these names, labels, help texts and buckets.
describe('CouponMetrics', () => {
  it('defines the coupon service metrics as dashboards and alerts know them', () => {
    expect(Object.values(new CouponMetrics()).map(definitionOf)).toEqual([
      {
        type: 'counter',
        name: 'coupon_issue_total',
        labelNames: ['outcome'],
        help: 'Issue requests by outcome',
      },
      {
        type: 'histogram',
        name: 'coupon_issue_duration_seconds',
        labelNames: ['outcome'],
        help: 'Time to answer an issue request',
        buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      },
    ]);
  });

  it('shares its metrics with a second coupon service in the same process (tests)', () => {
    const first = new CouponMetrics();
    expect(new CouponMetrics().issued).toBe(first.issued);
  });
});
