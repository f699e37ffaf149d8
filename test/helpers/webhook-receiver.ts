/** A loopback HTTP server that keeps the body of every POST it gets (a webhook target for tests). */
import { once } from 'node:events';
import { createServer } from 'node:http';

export interface WebhookReceiver {
  url: string;
  /** Bodies received, in order. */
  hooks: string[];
  close(): void;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const hooks: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      hooks.push(body);
      res.writeHead(204).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`, hooks, close: () => server.close() };
}
