import { DynamicModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { Env } from '@app/config';

/**
 * Structured JSON logs (pino). Request logging is off on the hot path: at tens
 * of thousands of polls a second it would cost more than the work itself;
 * errors are logged by the exception filter with an error id.
 */
export const createLoggerModule = (env: Env, name: string): DynamicModule =>
  LoggerModule.forRoot({
    pinoHttp: {
      name,
      level: env.LOG_LEVEL,
      autoLogging: false,
      transport:
        env.NODE_ENV === 'development' && process.stdout.isTTY
          ? { target: 'pino-pretty', options: { singleLine: true } }
          : undefined,
    },
  });
