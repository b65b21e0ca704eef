import type { ConnectionOptions } from 'node:tls';
import { ClientTls, describeTls, Env, TlsFiles, tlsOptions } from '@app/config';

/**
 * node-postgres' `ssl` for POSTGRES_SSL_MODE, with libpq's meanings (node-postgres
 * reads no sslmode of its own when given options):
 * - disable: no TLS;
 * - require: encrypted; the certificate is checked only when POSTGRES_SSL_CA_FILE is
 *   given, and then like verify-ca (what libpq does when it finds a root certificate);
 * - verify-ca: encrypted, the certificate signed by the CA; any host name;
 * - verify-full: encrypted, signed by the CA (or a system CA when no file is given)
 *   and issued to POSTGRES_HOST.
 */
export function postgresSsl(
  env: Env,
): false | (ClientTls & Pick<ConnectionOptions, 'checkServerIdentity'>) {
  const files = postgresTlsFiles(env);
  if (!files) return false;
  return {
    ...tlsOptions(files),
    // Chain checked, host name not: verify-ca (and require with a CA).
    ...(env.POSTGRES_SSL_MODE !== 'verify-full' && { checkServerIdentity: () => undefined }),
  };
}

/** One line for the log: how PostgreSQL is reached. */
export function describePostgresSsl(env: Env): string {
  return `sslmode ${env.POSTGRES_SSL_MODE}, ${describeTls(postgresTlsFiles(env))}`;
}

function postgresTlsFiles(env: Env): TlsFiles | undefined {
  switch (env.POSTGRES_SSL_MODE) {
    case 'disable':
      return undefined;
    case 'require':
      return { caFile: env.POSTGRES_SSL_CA_FILE, rejectUnauthorized: !!env.POSTGRES_SSL_CA_FILE };
    case 'verify-ca':
    case 'verify-full':
      return { caFile: env.POSTGRES_SSL_CA_FILE, rejectUnauthorized: true };
  }
}
