/**
 * The least any node server can do, in a process of its own: a raw node:http server
 * that reads the request's body (if any) and answers RAW_STATUS (default 200) with
 * RAW_BODY (base64) and the headers given (Content-Type JSON; Cache-Control and ETag
 * when set). The baseline of the line-state phase (a cached GET) and of the throughput
 * phase (a POST with the same body as a poll, answered with a poll's answer).
 */
import http from 'node:http';

const body = Buffer.from(process.env.RAW_BODY ?? '', 'base64');
const status = Number(process.env.RAW_STATUS ?? 200);
const headers: Record<string, string> = {
  'content-type': 'application/json; charset=utf-8',
  'content-length': String(body.length),
};
if (process.env.RAW_CACHE_CONTROL) headers['cache-control'] = process.env.RAW_CACHE_CONTROL;
if (process.env.RAW_ETAG) headers.etag = process.env.RAW_ETAG;
http
  .createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(status, headers);
      res.end(body);
    });
  })
  .listen(Number(process.env.RAW_PORT), '127.0.0.1');
