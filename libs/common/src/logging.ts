import { DynamicModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { Env } from '@app/config';
import { prettyLogOptions } from './pretty-logs';

/**
 * Structured JSON logs (pino) for every Nest logger. No per-request HTTP
 * middleware (`forRoutes: []`): pino-http's child logger and async context per
 * request cost about a quarter of a poll's CPU (measured with --cpu-prof), and
 * at thousands of polls a second request logs would cost more than the work.
 * Errors are logged by the exception filter with an error id.
 *
 * JSON lines everywhere (tests, CI, containers, `npm start`, whose
 * scripts/start.sh makes them readable with pretty-logs.ts), except an app run
 * by hand in a terminal in development, which prints the same readable lines itself.
 */
export const createLoggerModule = (env: Env, name: string): DynamicModule =>
  LoggerModule.forRoot({
    forRoutes: [],
    pinoHttp: {
      name,
      level: env.LOG_LEVEL,
      autoLogging: false,
      transport:
        env.NODE_ENV === 'development' && process.stdout.isTTY
          ? { target: 'pino-pretty', options: prettyLogOptions(true) }
          : undefined,
    },
  });
