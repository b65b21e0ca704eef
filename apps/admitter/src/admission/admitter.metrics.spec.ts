import { definitionOf } from '@app/common';
import { AdmitterMetrics } from './admitter.metrics';

// Dashboards and alerts are written against these names, labels, help texts and buckets.
describe('AdmitterMetrics', () => {
  it('defines the admitter metrics as dashboards and alerts know them', () => {
    expect(Object.values(new AdmitterMetrics()).map(definitionOf)).toEqual([
      {
        type: 'counter',
        name: 'admitter_admitted_total',
        labelNames: ['line'],
        help: 'Tickets admitted',
      },
      {
        type: 'counter',
        name: 'admitter_skipped_cancelled_total',
        labelNames: ['line'],
        help: 'Cancelled tickets skipped at the head of the line',
      },
      {
        type: 'counter',
        name: 'admitter_skipped_abandoned_total',
        labelNames: ['line'],
        help: 'Abandoned tickets (no poll within ABANDON_AFTER_SECONDS) skipped at the head of the line',
      },
      {
        type: 'gauge',
        name: 'admitter_rate_per_sec',
        labelNames: ['line'],
        help: 'Current admission rate setting',
      },
      {
        type: 'gauge',
        name: 'admitter_max_active',
        labelNames: ['line'],
        help: 'Current cap on active passes (0 = none)',
      },
      {
        type: 'gauge',
        name: 'admitter_buffer_depth',
        labelNames: ['line'],
        help: 'Fetched, undecided tickets held in memory',
      },
      {
        type: 'gauge',
        name: 'admitter_gateways_silent',
        labelNames: ['line'],
        help: '1 while no gateway heartbeats reach Redis and the line is paused (no admissions, no skips)',
      },
    ]);
  });

  it('shares its metrics with a second admitter in the same process (tests)', () => {
    const first = new AdmitterMetrics();
    expect(new AdmitterMetrics().admitted).toBe(first.admitted);
  });
});
