/**
 * Ceiling (c): a node:http server that reads the request body and answers one constant GraphQL
 * response, whatever was asked. No GraphQL, no upstream: the most any server can do on this
 * machine with this load generator. Prints `{"url": …}`.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { listenPort } from './schema.js';

const ANSWER = Buffer.from(JSON.stringify({ data: { trackEvents: [{ ok: true, error: null }] } }));

const server = createServer((req, res) => {
  req.on('data', () => {});
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': ANSWER.length });
    res.end(ANSWER);
  });
});
server.keepAliveTimeout = 65_000;
server.listen(listenPort(), '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${port}/graphql` })}\n`);
});

const stop = (): void => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
