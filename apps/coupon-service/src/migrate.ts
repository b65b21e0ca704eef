import { DataSource } from 'typeorm';
import { exitOnConfigError } from '@app/common';
import { loadEnv } from '@app/config';
import { dataSourceOptions } from './database/data-source';

/** `npm run migrate`: applies pending migrations to POSTGRES_DB and exits. */
export async function runMigrations(database?: string): Promise<string[]> {
  const source = new DataSource(dataSourceOptions(loadEnv(), { database, poolSize: 2 }));
  await source.initialize();
  try {
    const applied = await source.runMigrations();
    return applied.map((m) => m.name);
  } finally {
    await source.destroy();
  }
}

if (require.main === module) {
  runMigrations()
    .then((names) => {
      process.stdout.write(
        `[migrate] ${names.length ? `applied ${names.join(', ')}` : 'up to date'}\n`,
      );
    })
    .catch(exitOnConfigError('migrate'));
}
