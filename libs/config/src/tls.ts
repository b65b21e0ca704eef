import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';

/** The TLS settings of one service, as the env names them (paths of PEM files; empty: unset). */
export interface TlsFiles {
  caFile: string;
  certFile?: string;
  keyFile?: string;
  rejectUnauthorized: boolean;
}

/** The client TLS options built here (a subset of tls.connect's, which every client library takes). */
export type ClientTls = Pick<ConnectionOptions, 'ca' | 'cert' | 'key' | 'rejectUnauthorized'>;

/**
 * Node TLS options from PEM files, read now (at start: a rotated certificate is
 * picked up by a restart). No CA file: Node's own CAs (a public CA, e.g. Confluent
 * Cloud's). loadEnv has checked the files exist and hold PEM.
 */
export function tlsOptions(files: TlsFiles): ClientTls {
  return {
    rejectUnauthorized: files.rejectUnauthorized,
    ...(files.caFile && { ca: readFileSync(files.caFile, 'utf8') }),
    ...(files.certFile &&
      files.keyFile && {
        cert: readFileSync(files.certFile, 'utf8'),
        key: readFileSync(files.keyFile, 'utf8'),
      }),
  };
}

/** For the start-up log line: what is trusted and presented (never a secret). */
export function describeTls(files: TlsFiles | undefined): string {
  if (!files) return 'plaintext';
  return [
    'TLS',
    files.caFile ? `CA ${files.caFile}` : 'system CAs',
    files.certFile && `client certificate ${files.certFile}`,
    !files.rejectUnauthorized && 'certificates NOT verified',
  ]
    .filter(Boolean)
    .join(', ');
}
