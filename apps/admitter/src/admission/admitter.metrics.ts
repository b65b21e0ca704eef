import { Injectable } from '@nestjs/common';
import { counter, gauge } from '@app/common';

/** Prometheus metrics of the admission loop, per line. */
@Injectable()
export class AdmitterMetrics {
  readonly admitted = counter({
    name: 'admitter_admitted_total',
    help: 'Tickets admitted',
    labelNames: ['line'],
  });
  readonly skippedCancelled = counter({
    name: 'admitter_skipped_cancelled_total',
    help: 'Cancelled tickets skipped at the head of the line',
    labelNames: ['line'],
  });
  readonly skippedAbandoned = counter({
    name: 'admitter_skipped_abandoned_total',
    help: 'Abandoned tickets (no poll within ABANDON_AFTER_SECONDS) skipped at the head of the line',
    labelNames: ['line'],
  });
  readonly rate = gauge({
    name: 'admitter_rate_per_sec',
    help: 'Current admission rate setting',
    labelNames: ['line'],
  });
  readonly maxActive = gauge({
    name: 'admitter_max_active',
    help: 'Current cap on active passes (0 = none)',
    labelNames: ['line'],
  });
  readonly bufferDepth = gauge({
    name: 'admitter_buffer_depth',
    help: 'Fetched, undecided tickets held in memory',
    labelNames: ['line'],
  });
  readonly silent = gauge({
    name: 'admitter_gateways_silent',
    help: '1 while no gateway heartbeats reach Redis and the line is paused (no admissions, no skips)',
    labelNames: ['line'],
  });
}
