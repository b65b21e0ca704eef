// Integration and e2e tests read the same .env as the apps (written by
// scripts/ensure-env.sh), so they talk to the services scripts/services.sh started.
// Jest gives each test file its own copy of process.env, so the values are copied
// into that copy (process.loadEnvFile would only reach the worker's real env).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';

const file = join(__dirname, '..', '..', '.env');
if (existsSync(file)) {
  for (const [key, value] of Object.entries(parseEnv(readFileSync(file, 'utf8')))) {
    process.env[key] ??= value;
  }
}
process.env.NODE_ENV = 'test';
process.env.LOG_LEVEL = process.env.TEST_LOG_LEVEL ?? 'warn';
