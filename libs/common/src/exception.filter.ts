import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
} from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DomainError, ErrorBody } from './errors';

interface ReplyLike {
  status(code: number): ReplyLike;
  header(name: string, value: string): ReplyLike;
  send(body: unknown): unknown;
}

const reasonPhrase = (status: number): string => (HttpStatus[status] ?? 'ERROR').toString();

/**
 * The one place errors become HTTP answers. Domain errors and HttpExceptions
 * keep their status; a body the parser rejected is the client's fault (400);
 * anything else is a 500 with an error id that is logged, never a stack trace.
 */
@Catch()
export class GlobalExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const reply = host.switchToHttp().getResponse<ReplyLike>();
    const { body, retryAfter } = this.toBody(exception);
    if (retryAfter !== undefined) reply.header('Retry-After', String(retryAfter));
    reply.status(body.statusCode).send(body);
  }

  toBody(exception: unknown): { body: ErrorBody; retryAfter?: number } {
    if (exception instanceof DomainError) {
      return {
        body: {
          statusCode: exception.status,
          error: exception.code,
          message: exception.message,
          ...(exception.options.details !== undefined
            ? { details: exception.options.details }
            : {}),
        },
        retryAfter: exception.options.retryAfterSeconds,
      };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const response = exception.getResponse();
      const raw =
        typeof response === 'string'
          ? { message: response }
          : (response as Record<string, unknown>);
      const message = Array.isArray(raw.message)
        ? raw.message.join('; ')
        : String(raw.message ?? exception.message);
      return {
        body: {
          statusCode: status,
          error: typeof raw.code === 'string' ? raw.code : reasonPhrase(status),
          message,
          ...(Array.isArray(raw.message) ? { details: raw.message } : {}),
          ...(raw.details !== undefined ? { details: raw.details } : {}),
        },
        retryAfter: typeof raw.retryAfter === 'number' ? raw.retryAfter : undefined,
      };
    }
    // Fastify's own client errors (malformed JSON, wrong content type, body too large).
    const fastifyStatus = (exception as { statusCode?: unknown })?.statusCode;
    if (typeof fastifyStatus === 'number' && fastifyStatus >= 400 && fastifyStatus < 500) {
      return {
        body: {
          statusCode: fastifyStatus,
          error: reasonPhrase(fastifyStatus),
          message: String((exception as Error).message ?? 'Bad request'),
        },
      };
    }
    const errorId = randomUUID();
    this.logger.error(`errorId=${errorId}: ${(exception as Error)?.stack ?? String(exception)}`);
    return {
      body: {
        statusCode: 500,
        error: 'INTERNAL_SERVER_ERROR',
        message: 'Internal server error',
        errorId,
      },
    };
  }
}
