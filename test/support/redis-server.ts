// A private, throw-away Redis (loopback, its own port and directory) for tests
// that kill Redis: persisted the way a production Redis usually is, an AOF
// written every second, so a kill -9 loses up to a second of writes. The
// shared Redis of scripts/services.sh is never touched.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './common';
import { LocalServer } from './local-server';

export class RedisServer extends LocalServer {
  private constructor(
    readonly dir: string,
    port: number,
  ) {
    super(port);
  }

  static async create(): Promise<RedisServer> {
    return new RedisServer(mkdtempSync(join(tmpdir(), 'wr-test-redis-')), await freePort());
  }

  /** Starts (again, on the same directory: it loads its AOF) and waits until it answers. */
  async start(timeoutMs = 20_000): Promise<void> {
    if (this.process) throw new Error('redis already running');
    // SIGKILL (LocalServer.kill) saves nothing: what the AOF had not written is lost.
    const child = spawn(
      'redis-server',
      [
        '--bind',
        '127.0.0.1',
        '--port',
        String(this.port),
        '--dir',
        this.dir,
        '--appendonly',
        'yes',
        '--appendfsync',
        'everysec',
        '--save',
        '',
      ],
      { stdio: 'ignore' },
    );
    await this.started(child, `test redis on ${this.port}`, timeoutMs, 50);
  }

  async destroy(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
