import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { Env } from './env';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Validates the environment into a typed {@link Env}, once. Throws a
 * {@link ConfigError} naming every bad or missing variable.
 */
export function loadEnv(source: Record<string, string | undefined> = process.env): Env {
  const plain: Record<string, string> = {};
  for (const key of Object.keys(new Env())) {
    const value = source[key];
    if (value !== undefined && value !== '') plain[key] = value;
  }
  const env = plainToInstance(Env, plain, { exposeDefaultValues: true });
  const errors = validateSync(env);
  if (errors.length > 0) {
    throw new ConfigError(
      errors.map(
        (e) =>
          `${e.property}: ${Object.values(e.constraints ?? { invalid: 'invalid' }).join('; ')}`,
      ),
    );
  }
  return env;
}
