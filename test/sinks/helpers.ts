/** Shared test helpers for sink tests: realistic events and a logger whose output can be read back. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import {
  type ConversationWrapupEvent,
  eventId,
  type LifecycleEvent,
  type ParticipantJoinedEvent,
} from '../../src/events.js';
import { createLogger, type Logger } from '../../src/logging.js';

let counter = 0;

/** A `participant.joined` event for the conversation; each call is a distinct fact with its own id. */
export function joinedEvent(conversationId = 'c0ffee00-0000-4000-8000-000000000001'): ParticipantJoinedEvent {
  counter += 1;
  const participantId = `a9e1d3f2-0000-4000-8000-${String(counter).padStart(12, '0')}`;
  return {
    id: eventId(conversationId, 'participant.joined', participantId),
    type: 'participant.joined',
    conversationId,
    occurredAt: new Date(Date.UTC(2025, 0, 1, 12, 0, 0, counter)).toISOString(),
    observedAt: new Date(Date.UTC(2025, 0, 1, 12, 0, 1, counter)).toISOString(),
    mediaType: 'message',
    messageType: 'webmessaging',
    source: { kind: 'topic', topic: `v2.detail.events.conversation.${conversationId}.customer.start` },
    participant: { participantId, purpose: 'agent', userId: '5f3c2b1a-0000-4000-8000-00000000a9e1' },
  };
}

/** A wrap-up event whose notes hold customer-like text, to prove payloads never reach logs. */
export function wrapupWithNotes(notes: string, conversationId = 'c0ffee00-0000-4000-8000-000000000099') {
  const participantId = 'b7000000-0000-4000-8000-000000000001';
  const event: ConversationWrapupEvent = {
    id: eventId(conversationId, 'conversation.wrapup', participantId),
    type: 'conversation.wrapup',
    conversationId,
    occurredAt: '2025-01-01T12:05:00.000Z',
    observedAt: '2025-01-01T12:05:00.200Z',
    mediaType: 'voice',
    source: { kind: 'topic', topic: `v2.conversations.${conversationId}` },
    participant: { participantId, purpose: 'agent' },
    code: '0f0e0d0c-0000-4000-8000-000000000001',
    notes,
    afterCallWork: 'complete',
  };
  return event;
}

/** A logger writing into memory. */
export function captureLogger(level = 'debug'): {
  logger: Logger;
  text: () => string;
  records: () => Record<string, unknown>[];
} {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      chunks.push(String(chunk));
      callback();
    },
  });
  const logger = createLogger({ level, destination });
  const text = () => chunks.join('');
  const records = () =>
    text()
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logger, text, records };
}

/** A fresh temporary directory and its cleanup. */
export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'switchboard-sinks-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export type { LifecycleEvent };
