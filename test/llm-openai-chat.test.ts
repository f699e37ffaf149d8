import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { ApiError } from '../src/errors.js';
import { OpenAiChatResponder } from '../src/llm/openai-chat.js';
import { sentencesFrom } from '../src/llm/sentences-from-llm.js';
import type { ChatTool, LlmEvent } from '../src/llm/types.js';

const KEY = 'sk-test-SECRET-0123456789';

interface Received {
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
  closed: Promise<void>;
}

type Handler = (res: ServerResponse, req: Received) => void | Promise<void>;

/** A fake OpenAI-compatible server on port 0; each test sets its handler. */
async function fakeLlm(handler: Handler): Promise<{ baseUrl: string; received: Received[]; hangUps: Promise<void>[] }> {
  const received: Received[] = [];
  // One per TCP connection, from the moment it is accepted: a client that gives up before its
  // request body has been read is still seen hanging up.
  const hangUps: Promise<void>[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    // The socket closing is when the client hung up; `res` 'close' fires for both endings.
    const closed = once(res, 'close').then(() => undefined);
    const r = { headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString()), closed };
    received.push(r);
    await handler(res, r);
  });
  server.on('connection', (socket) => hangUps.push(once(socket, 'close').then(() => undefined)));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  after(() => {
    server.closeAllConnections();
    server.close();
  });
  return { baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, received, hangUps };
}

function sse(res: ServerResponse): (data: unknown) => void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  return (data) => res.write(`data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);
}

const chunk = (delta: object, finish: string | null = null): object => ({
  id: 'chatcmpl-1',
  object: 'chat.completion.chunk',
  created: 0,
  model: 'fake',
  choices: [{ index: 0, delta, finish_reason: finish }],
});
const usageChunk = { id: 'chatcmpl-1', object: 'chat.completion.chunk', choices: [], usage: { prompt_tokens: 12, completion_tokens: 7, total_tokens: 19 } };

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
const user = [{ role: 'user' as const, content: 'hi' }];

async function failure(responder: OpenAiChatResponder, signal = new AbortController().signal): Promise<ApiError> {
  try {
    for await (const _ of responder.reply(user, { signal })) {
      // drain
    }
  } catch (err) {
    assert.ok(err instanceof ApiError, `expected ApiError, got ${String(err)}`);
    assert.equal(err.status, 502);
    assert.equal(err.code, 'llm_unavailable');
    assert.ok(!err.message.includes(KEY), 'the key is not in the message');
    assert.ok(!err.message.includes('SECRET'), 'no part of the key is in the message');
    return err;
  }
  assert.fail('expected the reply to fail');
}

describe('OpenAiChatResponder', () => {
  it('streams text so the first sentence is out before the server sends its last token', async () => {
    let firstSentence!: () => void;
    const firstSentenceSeen = new Promise<void>((r) => (firstSentence = r));
    const { baseUrl, received } = await fakeLlm(async (res) => {
      const send = sse(res);
      send(chunk({ role: 'assistant', content: '' }));
      for (const t of ['Hello', ' there.', ' How', ' are']) {
        send(chunk({ content: t }));
        await tick();
      }
      // Held until the client has released the first sentence: proves it did not wait for the end.
      await firstSentenceSeen;
      send(chunk({ content: ' you?' }));
      send(chunk({}, 'stop'));
      send(usageChunk);
      send('[DONE]');
      res.end();
    });
    const responder = new OpenAiChatResponder({ baseUrl: `${baseUrl}/`, apiKey: KEY, model: 'fake-model' });
    const out = [];
    for await (const ev of sentencesFrom(responder.reply(user, { signal: new AbortController().signal }))) {
      out.push(ev);
      if (ev.type === 'sentence') firstSentence();
    }
    assert.deepEqual(out, [
      { type: 'sentence', text: 'Hello there.' },
      { type: 'sentence', text: 'How are you?' },
      { type: 'done', finishReason: 'stop', usage: { inputTokens: 12, outputTokens: 7 } },
    ]);
    const req = received[0]!;
    assert.equal(req.headers.authorization, `Bearer ${KEY}`);
    assert.equal(req.body.model, 'fake-model');
    assert.equal(req.body.stream, true);
    assert.deepEqual(req.body.stream_options, { include_usage: true });
    assert.deepEqual(req.body.messages, user);
    assert.equal('tools' in req.body, false);
  });

  it('assembles tool call fragments into whole calls with valid JSON arguments', async () => {
    const tools: ChatTool[] = [
      { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } },
      { type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: {} } } },
    ];
    const { baseUrl, received } = await fakeLlm(async (res) => {
      const send = sse(res);
      send(chunk({ role: 'assistant', content: null, tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '' } }] }));
      for (const part of ['{"ci', 'ty": "Cardi', 'ff"}']) {
        send(chunk({ tool_calls: [{ index: 0, function: { arguments: part } }] }));
        await tick();
      }
      send(chunk({ tool_calls: [{ index: 1, id: 'call_b', type: 'function', function: { name: 'get_time' } }] }));
      send(chunk({}, 'tool_calls'));
      send(usageChunk);
      send('[DONE]');
      res.end();
    });
    const responder = new OpenAiChatResponder({ baseUrl, model: 'fake' });
    const events: LlmEvent[] = [];
    for await (const ev of responder.reply(user, { tools, signal: new AbortController().signal })) events.push(ev);
    assert.deepEqual(events, [
      { type: 'tool_call', id: 'call_a', name: 'get_weather', arguments: '{"city": "Cardiff"}' },
      { type: 'tool_call', id: 'call_b', name: 'get_time', arguments: '{}' },
      { type: 'done', finishReason: 'tool_calls', usage: { inputTokens: 12, outputTokens: 7 } },
    ]);
    assert.deepEqual(JSON.parse((events[0] as { arguments: string }).arguments), { city: 'Cardiff' });
    assert.deepEqual(received[0]!.body.tools, tools);
    assert.equal(received[0]!.headers.authorization, undefined);
    assert.equal('max_tokens' in received[0]!.body, false, 'no budget asked, none sent');
  });

  it('sends the reply budget as max_tokens', async () => {
    const { baseUrl, received } = await fakeLlm(async (res) => {
      const send = sse(res);
      send(chunk({ content: 'Hi' }, 'length'));
      send('[DONE]');
      res.end();
    });
    const responder = new OpenAiChatResponder({ baseUrl, model: 'fake' });
    const events: LlmEvent[] = [];
    for await (const ev of responder.reply(user, { maxOutputTokens: 42, signal: new AbortController().signal })) events.push(ev);
    assert.equal(received[0]!.body.max_tokens, 42);
    assert.deepEqual(events.at(-1), { type: 'done', finishReason: 'length' });
  });

  it('closes the connection when the turn is aborted mid-stream', async () => {
    const { baseUrl, received } = await fakeLlm((res) => {
      sse(res)(chunk({ content: 'Hello' }));
      // ...and never another token.
    });
    const ac = new AbortController();
    const responder = new OpenAiChatResponder({ baseUrl, model: 'fake' });
    await assert.rejects(async () => {
      for await (const ev of responder.reply(user, { signal: ac.signal })) {
        assert.deepEqual(ev, { type: 'text.delta', delta: 'Hello' });
        ac.abort();
      }
    }, { name: 'AbortError' });
    await received[0]!.closed;
  });

  it('closes the connection when the consumer stops reading', async () => {
    const { baseUrl, received } = await fakeLlm((res) => {
      sse(res)(chunk({ content: 'Hello' }));
    });
    const responder = new OpenAiChatResponder({ baseUrl, model: 'fake' });
    for await (const _ of responder.reply(user, { signal: new AbortController().signal })) break;
    await received[0]!.closed;
  });

  it('reports connection refused', async () => {
    const server = createServer().listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as AddressInfo).port;
    server.close();
    await once(server, 'close');
    const err = await failure(new OpenAiChatResponder({ baseUrl: `http://127.0.0.1:${port}/v1`, apiKey: KEY, model: 'fake' }));
    assert.match(err.message, /Cannot reach the LLM at http:\/\/127\.0\.0\.1:\d+\/v1\/chat\/completions: connection refused/);
  });

  it('reports an HTTP 401 with the upstream message and without the key', async () => {
    const { baseUrl } = await fakeLlm((res) => {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          error: {
            message: `Incorrect API key provided: ${KEY}. You can find your API key at https://platform.openai.com/account/api-keys.`,
            type: 'invalid_request_error',
            code: 'invalid_api_key',
          },
        }),
      );
    });
    const err = await failure(new OpenAiChatResponder({ baseUrl, apiKey: KEY, model: 'fake' }));
    assert.match(err.message, /returned HTTP 401: Incorrect API key provided: \[redacted\]\. You can find/);
  });

  it('reports a stream event that is not JSON as malformed', async () => {
    const { baseUrl } = await fakeLlm((res) => {
      const send = sse(res);
      send(chunk({ content: 'Hi' }));
      send('{"choices": [oops');
      res.end();
    });
    const err = await failure(new OpenAiChatResponder({ baseUrl, apiKey: KEY, model: 'fake' }));
    assert.match(err.message, /malformed stream \(an event is not JSON\)/);
  });

  it('reports a body that is not an SSE stream as malformed', async () => {
    const { baseUrl } = await fakeLlm((res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html><body>Welcome to nginx!</body></html>');
    });
    const err = await failure(new OpenAiChatResponder({ baseUrl, apiKey: KEY, model: 'fake' }));
    assert.match(err.message, /malformed stream \(it ended before the reply finished\)/);
  });

  it('gives up when the first byte takes longer than timeoutMs, and hangs up', async () => {
    const { baseUrl, hangUps } = await fakeLlm(() => {
      // Never answers.
    });
    const err = await failure(new OpenAiChatResponder({ baseUrl, apiKey: KEY, model: 'fake', timeoutMs: 100 }));
    assert.match(err.message, /sent nothing within 100 ms/);
    assert.equal(hangUps.length, 1, 'the request reached the server');
    await hangUps[0];
  });
});
