import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One file of the built page, held in memory with its validator. */
export interface Asset {
  body: Buffer;
  etag: string;
  type: string;
}

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  png: 'image/png',
};

const etagOf = (body: Buffer | string) =>
  `"${createHash('sha1').update(body).digest('base64url').slice(0, 20)}"`;

/**
 * Where `node scripts/build-web.mjs` put the page: dist/web beside the built
 * gateway (dist/apps/queue-gateway/src/web -> dist/web), or from the sources
 * (ts-jest) the repository's dist/web.
 */
export function findWebDir(): string | undefined {
  const candidates = [
    process.env.WEB_DIR,
    join(__dirname, '..', '..', '..', '..', 'web'),
    join(__dirname, '..', '..', '..', '..', 'dist', 'web'),
  ];
  return candidates.find((d): d is string => !!d && existsSync(join(d, 'line.html')));
}

export function loadAsset(dir: string, name: string): Asset {
  const body = readFileSync(join(dir, name));
  const ext = name.slice(name.lastIndexOf('.') + 1);
  return { body, etag: etagOf(body), type: TYPES[ext] ?? 'application/octet-stream' };
}

/** An HTML template whose `{{code}}` places are filled per request (the code is validated first). */
export class PageTemplate {
  private readonly parts: string[];

  constructor(html: string) {
    this.parts = html.split('{{code}}');
  }

  render(code: string): Asset {
    const body = Buffer.from(this.parts.join(escapeHtml(code)));
    return { body, etag: etagOf(body), type: TYPES.html };
  }
}

export const escapeHtml = (s: string): string =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
