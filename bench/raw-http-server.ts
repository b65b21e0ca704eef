/**
 * The baseline of the line-state phase (bench/phases/line-state.ts): a raw node:http
 * server, in a process of its own, answering every request with RAW_BODY (base64) and
 * the caching headers the gateway sent with it. Nothing else is loaded.
 */
import http from 'node:http';

const body = Buffer.from(process.env.RAW_BODY ?? '', 'base64');
const headers = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': process.env.RAW_CACHE_CONTROL ?? '',
  etag: process.env.RAW_ETAG ?? '',
  'content-length': String(body.length),
};
http
  .createServer((_req, res) => {
    res.writeHead(200, headers);
    res.end(body);
  })
  .listen(Number(process.env.RAW_PORT), '127.0.0.1');
