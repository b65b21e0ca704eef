// What the tests' private servers (a Kafka broker, a Redis) share: one child
// process, started until its port answers, killed outright (SIGKILL, a crash)
// until its port is closed.
import { ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { stopProcess, waitFor } from './common';

export const portOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

export abstract class LocalServer {
  protected process?: ChildProcess;

  protected constructor(readonly port: number) {}

  /** Takes `child` as the running server and waits until its port answers. */
  protected async started(child: ChildProcess, what: string, timeoutMs: number, everyMs: number) {
    this.process = child;
    child.once('exit', () => {
      if (this.process === child) this.process = undefined;
    });
    await waitFor(
      async () => {
        if (!this.process) throw new Error(`${what} exited`);
        return portOpen(this.port);
      },
      timeoutMs,
      what,
      everyMs,
    );
  }

  /** SIGKILL (a crash, not a clean shutdown), then waits until the process and its port are gone. */
  async kill(): Promise<void> {
    if (!this.process) return;
    await stopProcess(this.process, 'SIGKILL');
    this.process = undefined;
    await waitFor(async () => !(await portOpen(this.port)), 10_000, `port ${this.port} closed`);
  }
}
