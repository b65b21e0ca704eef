// Integration and e2e tests read the same .env as the apps (written by
// scripts/ensure-env.sh), so they talk to the services scripts/services.sh started.
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const file = join(__dirname, '..', '..', '.env');
if (existsSync(file)) process.loadEnvFile(file);
process.env.NODE_ENV = 'test';
process.env.LOG_LEVEL = process.env.TEST_LOG_LEVEL ?? 'warn';
