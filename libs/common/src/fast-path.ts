import type { HttpAdapterHost } from '@nestjs/core';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/** Answers a request itself (true) or leaves it to the framework (false, without reading its body). */
export type FastPath = (req: IncomingMessage, res: ServerResponse) => boolean;

/**
 * Puts `handle` in front of the framework's own request listener on the HTTP
 * server: the few hot routes that are worth it are answered straight from
 * node:http, everything else goes on to Fastify and Nest as before. Each fast
 * path must decide from the request line and headers alone before it reads a
 * byte of the body, and answer exactly as the framework route would.
 */
export function addFastPath(adapter: HttpAdapterHost, handle: FastPath): void {
  const server = adapter.httpAdapter?.getHttpServer() as Server | undefined;
  const [framework] = server?.listeners('request') ?? [];
  if (!server || !framework) return;
  server.removeListener('request', framework as (...args: unknown[]) => void);
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (!handle(req, res)) framework.call(server, req, res);
  });
}
