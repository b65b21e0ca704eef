/**
 * Typed domain errors. Each carries the HTTP status it maps to, a stable
 * machine-readable code, whether retrying may help, and context for logs.
 * The global exception filter turns them into the documented error body.
 */
export class DomainError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly options: { retriable?: boolean; retryAfterSeconds?: number; details?: unknown } = {},
  ) {
    super(message);
    this.name = new.target.name;
  }

  get retriable(): boolean {
    return this.options.retriable ?? false;
  }
}

/** A dependency (Kafka, the coupon service, Redis) cannot serve now; try again later. */
export class UnavailableError extends DomainError {
  constructor(message: string, retryAfterSeconds = 1, details?: unknown) {
    super(503, 'SERVICE_UNAVAILABLE', message, { retriable: true, retryAfterSeconds, details });
  }
}

/** The error body every endpoint answers with. */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  details?: unknown;
  errorId?: string;
}
