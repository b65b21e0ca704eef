import { ConfigError } from '@app/config';

/**
 * The catch of every main.ts: a bad configuration prints the variables at
 * fault (no stack trace); anything else prints the error. Both exit non-zero.
 */
export const exitOnConfigError =
  (app: string) =>
  (error: unknown): never => {
    if (error instanceof ConfigError) {
      process.stderr.write(`[${app}] ${error.message}\n`);
    } else {
      process.stderr.write(
        `[${app}] failed to start: ${(error as Error)?.stack ?? String(error)}\n`,
      );
    }
    process.exit(1);
  };
