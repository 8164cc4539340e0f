import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { verifyWebhookSignature } from '../../src/sinks/signature.js';
import { createWebhookSink } from '../../src/sinks/webhook.js';
import { waitFor } from '../helpers/wait-for.js';
import { captureLogger, joinedEvent, tempDir, wrapupWithNotes } from './helpers.js';
import { startReceiver } from './http-receiver.js';

const secret = 'hook-secret-7f3a9c2e51d4';
const fastRetry = { initialDelayMs: 10, maxDelayMs: 40 };

describe('webhook sink', () => {
  it('POSTs each event as its JSON body with a signature the receiver can verify', async () => {
    const receiver = await startReceiver((_req, res) => res.writeHead(204).end());
    const sink = createWebhookSink({ url: `${receiver.url}?tenant=t1`, secret });
    try {
      const event = joinedEvent();
      sink.write(event);
      assert.equal(await sink.flush({ timeoutMs: 3_000 }), true);
      assert.equal(receiver.received.length, 1);
      const request = receiver.received[0]!;
      assert.equal(request.method, 'POST');
      assert.equal(request.path, '/hook?tenant=t1', 'the URL is used as given');
      assert.equal(request.headers['content-type'], 'application/json');
      assert.equal(request.headers['x-switchboard-event-id'], event.id);
      assert.equal(request.headers['x-switchboard-event-type'], 'participant.joined');
      assert.equal(request.headers['x-switchboard-delivery-attempt'], '1');
      assert.deepEqual(JSON.parse(request.body), event, 'the body is the event, id included for dedupe');
      const check = {
        body: request.body,
        signature: request.headers['x-switchboard-signature'] as string,
        timestamp: request.headers['x-switchboard-timestamp'] as string,
      };
      assert.equal(verifyWebhookSignature({ ...check, secret }), true);
      assert.equal(verifyWebhookSignature({ ...check, secret: 'wrong' }), false);
      assert.equal(sink.health().delivered, 1);
    } finally {
      await sink.close();
      await receiver.close();
    }
  });

  it('retries a 503 and then succeeds, with the attempt number and a fresh signature', async () => {
    const receiver = await startReceiver((_req, res, index) =>
      res.writeHead(index === 0 ? 503 : 200).end('ok'),
    );
    const sink = createWebhookSink({ url: receiver.url, secret, retry: fastRetry });
    try {
      sink.write(joinedEvent());
      assert.equal(await sink.flush({ timeoutMs: 3_000 }), true);
      assert.equal(receiver.received.length, 2);
      const retry = receiver.received[1]!;
      assert.equal(retry.headers['x-switchboard-delivery-attempt'], '2');
      assert.equal(receiver.received[0]!.body, retry.body, 'same body, so the receiver can dedupe');
      assert.equal(
        verifyWebhookSignature({
          body: retry.body,
          signature: retry.headers['x-switchboard-signature'] as string,
          timestamp: retry.headers['x-switchboard-timestamp'] as string,
          secret,
        }),
        true,
      );
      const health = sink.health();
      assert.equal(health.delivered, 1);
      assert.equal(health.retries, 1);
      assert.equal(health.failed, 0);
      assert.equal(health.lastError?.code, 'webhook_unavailable');
    } finally {
      await sink.close();
      await receiver.close();
    }
  });

  it('honours Retry-After on 429 rather than its own short backoff', async () => {
    const receiver = await startReceiver((_req, res, index) =>
      index === 0 ? res.writeHead(429, { 'retry-after': '1' }).end() : res.writeHead(200).end(),
    );
    const sink = createWebhookSink({ url: receiver.url, secret, retry: fastRetry });
    try {
      sink.write(joinedEvent());
      await waitFor(() => sink.health().retrying === 1, 'the retry wait', 2_000);
      assert.equal(sink.health().status, 'degraded');
      assert.equal(await sink.flush({ timeoutMs: 3_000 }), true);
      const [first, second] = receiver.received;
      const gap = second!.receivedAt - first!.receivedAt;
      assert.ok(gap >= 950, `waited ${gap} ms, as asked`);
      assert.equal(sink.health().delivered, 1);
    } finally {
      await sink.close();
      await receiver.close();
    }
  });

  it('gives up on 400 at once: counted failed, logged without bodies or secrets', async () => {
    const { logger, text, records } = captureLogger();
    const notes = 'customer said call +1 555 0100 or mail jane@example.test';
    const receiver = await startReceiver((_req, res) =>
      res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"RESPONSE-BODY-MARKER"}'),
    );
    const sink = createWebhookSink({
      url: `${receiver.url}?token=query-token-xyz`,
      secret,
      retry: fastRetry,
      logger,
    });
    try {
      const event = wrapupWithNotes(notes);
      sink.write(event);
      assert.equal(await sink.flush({ timeoutMs: 3_000 }), true);
      assert.equal(receiver.received.length, 1, 'no retry of a 4xx');
      const health = sink.health();
      assert.equal(health.failed, 1);
      assert.equal(health.delivered, 0);
      assert.equal(health.retries, 0);
      assert.equal(health.lastError?.code, 'webhook_rejected');
      assert.match(health.lastError?.message ?? '', /400/);
      const failure = records().find((r) => String(r.msg).startsWith('delivery failed for good'));
      assert.equal(failure?.status, 400);
      assert.deepEqual(failure?.eventIds, [event.id]);
      const logged = text() + JSON.stringify(health);
      for (const secretish of [
        secret,
        'RESPONSE-BODY-MARKER',
        '555 0100',
        'jane@example.test',
        'query-token-xyz',
      ]) {
        assert.ok(!logged.includes(secretish), `"${secretish}" must not reach logs or health`);
      }
    } finally {
      await sink.close();
      await receiver.close();
    }
  });

  it('keeps each conversation in order under retries while conversations run in parallel', async () => {
    let active = 0;
    let maxActive = 0;
    const activePerConversation = new Map<string, number>();
    let overlapInConversation = false;
    const seenOnce = new Set<string>();
    const acceptedInOrder = new Map<string, string[]>();
    const receiver = await startReceiver((request, res) => {
      const event = JSON.parse(request.body) as { id: string; conversationId: string };
      const now = (activePerConversation.get(event.conversationId) ?? 0) + 1;
      activePerConversation.set(event.conversationId, now);
      if (now > 1) overlapInConversation = true;
      active += 1;
      maxActive = Math.max(maxActive, active);
      // Every third event fails on its first try; every request takes a few ms.
      const fail = !seenOnce.has(event.id) && event.id.charCodeAt(0) % 3 === 0;
      seenOnce.add(event.id);
      setTimeout(() => {
        active -= 1;
        activePerConversation.set(event.conversationId, now - 1);
        if (!fail)
          acceptedInOrder.set(event.conversationId, [
            ...(acceptedInOrder.get(event.conversationId) ?? []),
            event.id,
          ]);
        res.writeHead(fail ? 503 : 200).end();
      }, 5);
    });
    const sink = createWebhookSink({ url: receiver.url, secret, retry: fastRetry, concurrency: 3 });
    try {
      const conversations = ['conv-a', 'conv-b', 'conv-c'];
      const sent = new Map<string, string[]>(conversations.map((c) => [c, []]));
      for (let i = 0; i < 8; i++) {
        for (const conversationId of conversations) {
          const event = joinedEvent(conversationId);
          sent.get(conversationId)!.push(event.id);
          sink.write(event);
        }
      }
      assert.equal(await sink.flush({ timeoutMs: 8_000 }), true);
      const health = sink.health();
      assert.equal(health.delivered, 24);
      assert.ok(health.retries > 0, 'some deliveries were retried');
      assert.equal(overlapInConversation, false, 'never two requests of one conversation at once');
      assert.ok(maxActive > 1, 'different conversations were delivered in parallel');
      for (const conversationId of conversations) {
        assert.deepEqual(
          acceptedInOrder.get(conversationId),
          sent.get(conversationId),
          `${conversationId} in order`,
        );
      }
    } finally {
      await sink.close();
      await receiver.close();
    }
  });

  it('times a request out and retries it', async () => {
    const receiver = await startReceiver((_req, res, index) => {
      if (index > 0) res.writeHead(200).end(); // the first request is left hanging
    });
    const { logger, text } = captureLogger();
    const sink = createWebhookSink({ url: receiver.url, secret, timeoutMs: 150, retry: fastRetry, logger });
    try {
      sink.write(joinedEvent());
      assert.equal(await sink.flush({ timeoutMs: 3_000 }), true);
      assert.equal(receiver.received.length, 2);
      const health = sink.health();
      assert.equal(health.delivered, 1);
      assert.equal(health.lastError?.code, 'webhook_timeout');
      assert.match(health.lastError?.message ?? '', /timed out after 150 ms/);
      assert.ok(text().includes('delivery failed; retrying'), 'the retry is logged');
      assert.ok(!text().includes(secret), 'the secret is not');
    } finally {
      await sink.close();
      await receiver.close();
    }
  });

  it('on close, gives up (counted) on what a dead receiver never took, within the close timeout', async () => {
    const receiver = await startReceiver(() => {}); // never answers
    const sink = createWebhookSink({ url: receiver.url, secret, timeoutMs: 10_000 });
    try {
      sink.write(joinedEvent('conv-a'));
      sink.write(joinedEvent('conv-a'));
      sink.write(joinedEvent('conv-b'));
      await waitFor(() => receiver.received.length === 2, 'two requests in flight', 2_000);
      const before = sink.health();
      assert.equal(before.inFlight, 2);
      assert.equal(before.depth, 1, 'the second event of conv-a waits behind the first');
      const started = Date.now();
      await sink.close({ timeoutMs: 100 });
      assert.ok(Date.now() - started < 2_000, 'close is bounded');
      const after = sink.health();
      assert.equal(after.status, 'closed');
      assert.equal(after.failed, 3);
      assert.equal(after.delivered, 0);
      assert.throws(() => sink.write(joinedEvent()), { code: 'sink_closed' });
    } finally {
      await receiver.close();
    }
  });

  it('with its outbox on disk, keeps what a dead receiver never took for the next start, in order', async () => {
    const { dir, cleanup } = await tempDir();
    const dead = await startReceiver(() => {});
    const alive = await startReceiver((_req, res) => res.writeHead(200).end());
    const outbox = { dir, capacity: 2 };
    try {
      const events = [
        joinedEvent('conv-a'),
        joinedEvent('conv-b'),
        joinedEvent('conv-a'),
        joinedEvent('conv-a'),
      ];
      // The same name, so the second finds the first's outbox file (a restart after the receiver moved).
      const first = createWebhookSink({ name: 'hook', url: dead.url, secret, outbox });
      for (const event of events) first.write(event);
      await waitFor(() => dead.received.length === 2, 'requests in flight', 2_000);
      await first.close({ timeoutMs: 50 });
      assert.equal(first.health().failed, 0, 'nothing given up');
      assert.equal(first.health().dropped, 0, 'nothing dropped past the bound (policy stop)');
      assert.equal(first.health().pending, 4, 'all four kept on disk');

      const second = createWebhookSink({ name: 'hook', url: alive.url, secret, outbox, concurrency: 1 });
      assert.equal(second.health().pending, 4);
      assert.equal(await second.flush({ timeoutMs: 3_000 }), true);
      assert.deepEqual(
        alive.received.map((r) => (JSON.parse(r.body) as { id: string }).id),
        events.map((e) => e.id),
      );
      assert.equal(second.health().delivered, 4);
      assert.equal(second.health().pending, 0);
      await second.close();
    } finally {
      await dead.close();
      await alive.close();
      await cleanup();
    }
  });
});
