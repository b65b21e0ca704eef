// A minimal Server-Sent-Events reader over node:http for tests: records every
// event and comment as it arrives, so a test can wait for one and check order.
import http, { IncomingMessage } from 'node:http';
import { waitFor } from './common';

export interface SseEvent {
  event: string;
  data: string;
  id?: string;
}

export class SseClient {
  readonly events: SseEvent[] = [];
  readonly comments: string[] = [];
  retry?: number;
  ended = false;
  private buffer = '';

  private constructor(
    readonly status: number,
    readonly headers: IncomingMessage['headers'],
    private readonly res: IncomingMessage,
    readonly body: string,
  ) {}

  /** Opens a stream; a non-200 answer is read whole into `body`. */
  static open(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
    return new Promise((resolve, reject) => {
      const req = http.get(
        url,
        { agent: false, headers: { accept: 'text/event-stream', ...headers } },
        (res) => {
          res.setEncoding('utf8');
          if (res.statusCode !== 200) {
            let body = '';
            res.on('data', (c: string) => (body += c));
            res.on('end', () =>
              resolve(new SseClient(res.statusCode ?? 0, res.headers, res, body)),
            );
            return;
          }
          const client = new SseClient(200, res.headers, res, '');
          res.on('data', (chunk: string) => client.feed(chunk));
          res.on('end', () => (client.ended = true));
          res.on('close', () => (client.ended = true));
          resolve(client);
        },
      );
      req.on('error', reject);
    });
  }

  /** Parsed `data` of every event named `name`, in arrival order. */
  data<T = Record<string, unknown>>(name: string): T[] {
    return this.events.filter((e) => e.event === name).map((e) => JSON.parse(e.data) as T);
  }

  waitForEvent<T = Record<string, unknown>>(
    name: string,
    match: (data: T) => boolean = () => true,
    timeoutMs = 15_000,
  ): Promise<T> {
    return waitFor(() => this.data<T>(name).find(match), timeoutMs, `an SSE "${name}" event`);
  }

  waitForEnd(timeoutMs = 15_000): Promise<boolean> {
    return waitFor(() => this.ended, timeoutMs, 'the stream to end');
  }

  close(): void {
    this.res.destroy();
  }

  private feed(chunk: string): void {
    this.buffer += chunk;
    let at: number;
    while ((at = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, at);
      this.buffer = this.buffer.slice(at + 2);
      const event: SseEvent = { event: 'message', data: '' };
      let hasData = false;
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) this.comments.push(line.slice(1).trim());
        else if (line.startsWith('retry: ')) this.retry = Number(line.slice(7));
        else if (line.startsWith('event: ')) event.event = line.slice(7);
        else if (line.startsWith('id: ')) event.id = line.slice(4);
        else if (line.startsWith('data: ')) {
          event.data += (hasData ? '\n' : '') + line.slice(6);
          hasData = true;
        }
      }
      if (hasData) this.events.push(event);
    }
  }
}
