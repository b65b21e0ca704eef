// A private, throw-away Redis (loopback, its own port and directory) for tests
// that kill Redis: persisted the way a production Redis usually is, an AOF
// written every second, so a kill -9 loses up to a second of writes. The
// shared Redis of scripts/services.sh is never touched.
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from './common';

const portOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

export class RedisServer {
  private process?: ChildProcess;

  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  static async create(): Promise<RedisServer> {
    return new RedisServer(mkdtempSync(join(tmpdir(), 'wr-test-redis-')), await freePort());
  }

  /** Starts (again, on the same directory: it loads its AOF) and waits until it answers. */
  async start(timeoutMs = 20_000): Promise<void> {
    if (this.process) throw new Error('redis already running');
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
    this.process = child;
    child.once('exit', () => {
      if (this.process === child) this.process = undefined;
    });
    await waitFor(
      async () => {
        if (!this.process) throw new Error('redis-server exited');
        return portOpen(this.port);
      },
      timeoutMs,
      `test redis on ${this.port}`,
      50,
    );
  }

  /** SIGKILL: no shutdown save; what the AOF had not written is lost. */
  async kill(): Promise<void> {
    const child = this.process;
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
    this.process = undefined;
  }

  async destroy(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
