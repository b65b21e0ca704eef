import { Injectable } from '@nestjs/common';
import { counter, gauge, histogram } from '@app/common';

/** The gateway's own Prometheus metrics (default registry, served at /metrics). */
@Injectable()
export class GatewayMetrics {
  readonly ticketsWritten = counter({
    name: 'queue_tickets_written_total',
    help: 'Ticket records acked by Kafka',
    labelNames: ['line'],
  });
  readonly ticketsCancelled = counter({
    name: 'queue_tickets_cancelled_total',
    help: 'Cancellations accepted',
    labelNames: ['line'],
  });
  readonly enqueueRepeats = counter({
    name: 'queue_enqueue_repeats_total',
    help: 'First requests of a user who already held a live ticket: answered with that ticket, no new place',
    labelNames: ['line'],
  });
  readonly ticketsRejoined = counter({
    name: 'queue_tickets_rejoined_total',
    help: 'Holders skipped as abandoned who came back within ABANDON_GRACE_SECONDS and were admitted',
    labelNames: ['line'],
  });
  readonly admitted = gauge({
    name: 'queue_line_admitted',
    help: "Tickets admitted so far per line (sum of the admitter group's committed offsets)",
    labelNames: ['line'],
  });
  readonly lineLength = gauge({
    name: 'queue_line_length',
    help: 'Tickets not yet admitted per line (sum of endOffset - committedOffset)',
    labelNames: ['line'],
  });
  readonly admissionRate = gauge({
    name: 'queue_line_admission_rate',
    help: 'Measured admissions per second per line (moving average)',
    labelNames: ['line'],
  });
  readonly requestDuration = histogram({
    name: 'queue_request_duration_seconds',
    help: 'Latency of queue requests by kind (enqueue, poll, pass, cancel)',
    labelNames: ['kind'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  });
  readonly sseStreams = gauge({
    name: 'queue_sse_streams',
    help: 'Open Server-Sent-Events streams of waiting tickets in this process',
  });
  readonly produceBatchSize = histogram({
    name: 'queue_produce_batch_size',
    help: 'Ticket records per Kafka produce batch',
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000],
  });
  readonly produceErrors = counter({
    name: 'queue_produce_errors_total',
    help: 'Ticket records whose Kafka produce batch failed (each such first request was answered 503)',
  });
  readonly produceDuration = histogram({
    name: 'queue_produce_duration_seconds',
    help: 'Time from sending a ticket batch to its acknowledgement (acks=all)',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  });
}
