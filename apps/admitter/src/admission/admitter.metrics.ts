import { Injectable } from '@nestjs/common';
import { Counter, Gauge, register } from 'prom-client';

/** Finds a metric already registered (tests run several admitters in one process) or creates it. */
function metric<T>(name: string, create: () => T): T {
  return (register.getSingleMetric(name) as T | undefined) ?? create();
}

/** Prometheus metrics of the admission loop, per line. */
@Injectable()
export class AdmitterMetrics {
  readonly admitted = metric(
    'admitter_admitted_total',
    () =>
      new Counter({
        name: 'admitter_admitted_total',
        help: 'Tickets admitted',
        labelNames: ['line'],
      }),
  );
  readonly skippedCancelled = metric(
    'admitter_skipped_cancelled_total',
    () =>
      new Counter({
        name: 'admitter_skipped_cancelled_total',
        help: 'Cancelled tickets skipped at the head of the line',
        labelNames: ['line'],
      }),
  );
  readonly skippedAbandoned = metric(
    'admitter_skipped_abandoned_total',
    () =>
      new Counter({
        name: 'admitter_skipped_abandoned_total',
        help: 'Abandoned tickets (no poll within ABANDON_AFTER_SECONDS) skipped at the head of the line',
        labelNames: ['line'],
      }),
  );
  readonly rate = metric(
    'admitter_rate_per_sec',
    () =>
      new Gauge({
        name: 'admitter_rate_per_sec',
        help: 'Current admission rate setting',
        labelNames: ['line'],
      }),
  );
  readonly maxActive = metric(
    'admitter_max_active',
    () =>
      new Gauge({
        name: 'admitter_max_active',
        help: 'Current cap on active passes (0 = none)',
        labelNames: ['line'],
      }),
  );
  readonly bufferDepth = metric(
    'admitter_buffer_depth',
    () =>
      new Gauge({
        name: 'admitter_buffer_depth',
        help: 'Fetched, undecided tickets held in memory',
        labelNames: ['line'],
      }),
  );
  readonly silent = metric(
    'admitter_gateways_silent',
    () =>
      new Gauge({
        name: 'admitter_gateways_silent',
        help: '1 while no gateway heartbeats reach Redis and the line is paused (no admissions, no skips)',
        labelNames: ['line'],
      }),
  );
}
