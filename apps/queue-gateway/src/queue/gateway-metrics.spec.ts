import { definitionOf } from '@app/common';
import { GatewayMetrics } from './gateway-metrics';

// Dashboards and alerts are written against these names, labels, help texts and buckets.
describe('GatewayMetrics', () => {
  it('defines the gateway metrics as dashboards and alerts know them', () => {
    expect(Object.values(new GatewayMetrics()).map(definitionOf)).toEqual([
      {
        type: 'counter',
        name: 'queue_tickets_written_total',
        labelNames: ['line'],
        help: 'Ticket records acked by Kafka',
      },
      {
        type: 'counter',
        name: 'queue_tickets_cancelled_total',
        labelNames: ['line'],
        help: 'Cancellations accepted',
      },
      {
        type: 'counter',
        name: 'queue_enqueue_repeats_total',
        labelNames: ['line'],
        help: 'First requests of a user who already held a live ticket: answered with that ticket, no new place',
      },
      {
        type: 'counter',
        name: 'queue_tickets_rejoined_total',
        labelNames: ['line'],
        help: 'Holders skipped as abandoned who came back within ABANDON_GRACE_SECONDS and were admitted',
      },
      {
        type: 'gauge',
        name: 'queue_line_admitted',
        labelNames: ['line'],
        help: "Tickets admitted so far per line (sum of the admitter group's committed offsets)",
      },
      {
        type: 'gauge',
        name: 'queue_line_length',
        labelNames: ['line'],
        help: 'Tickets not yet admitted per line (sum of endOffset - committedOffset)',
      },
      {
        type: 'gauge',
        name: 'queue_line_admission_rate',
        labelNames: ['line'],
        help: 'Measured admissions per second per line (moving average)',
      },
      {
        type: 'histogram',
        name: 'queue_request_duration_seconds',
        labelNames: ['kind'],
        help: 'Latency of queue requests by kind (enqueue, poll, pass, cancel)',
        buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      },
      {
        type: 'gauge',
        name: 'queue_sse_streams',
        labelNames: [],
        help: 'Open Server-Sent-Events streams of waiting tickets in this process',
      },
      {
        type: 'histogram',
        name: 'queue_produce_batch_size',
        labelNames: [],
        help: 'Ticket records per Kafka produce batch',
        buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000],
      },
      {
        type: 'counter',
        name: 'queue_produce_errors_total',
        labelNames: [],
        help: 'Ticket records whose Kafka produce batch failed (each such first request was answered 503)',
      },
      {
        type: 'histogram',
        name: 'queue_produce_duration_seconds',
        labelNames: [],
        help: 'Time from sending a ticket batch to its acknowledgement (acks=all)',
        buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      },
    ]);
  });

  it('shares its metrics with a second gateway in the same process (tests)', () => {
    const first = new GatewayMetrics();
    expect(new GatewayMetrics().requestDuration).toBe(first.requestDuration);
  });
});
