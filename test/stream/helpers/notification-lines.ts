/**
 * Lines as people hold them: notifications exactly as the platform sends them (a logger's or a public capture's
 * JSON lines), around them the noise such files carry. Shapes follow recorded payloads (`../shared/GENESYS.md`,
 * `test/fixtures/snapshots/`): the aggregate line is the first frame of `voice-inbound-basic.jsonl`; the per-media
 * line is a `.calls` topic body, flattened (the leg's state, `user{id}` and `queue{id}` on the participant, no
 * `calls[]`, no `startTime`).
 */
import { readFileSync } from 'node:fs';

const fixture = new URL('../../fixtures/snapshots/voice-inbound-basic.jsonl', import.meta.url);

/** A whole-conversation snapshot on a queue topic: the customer in the IVR, then queued. */
export const AGGREGATE_LINE = readFileSync(fixture, 'utf8').split('\n')[0]!;
export const AGGREGATE_CONVERSATION = (JSON.parse(AGGREGATE_LINE) as { eventBody: { id: string } }).eventBody
  .id;
/** A phone number {@link AGGREGATE_LINE} carries: customer data that must never reach a message. */
export const AGGREGATE_ADDRESS = '+13175550142';

export const MEDIA_CONVERSATION = '6a0c2f4e-1b3d-4e5f-8a9b-0c1d2e3f4a50';
export const MEDIA_USER = '3b7e9d21-6c4f-4a8e-b2d5-0e1f2a3b4c05';
const MEDIA_QUEUE = '8e2d0a47-6b13-4c9e-a5f2-7d3e9b1c0f42';

/** One call's legs on the agent's per-media topic: Ana has answered. */
export const MEDIA_LINE = JSON.stringify({
  topicName: `v2.users.${MEDIA_USER}.conversations.calls`,
  version: '2',
  eventBody: {
    id: MEDIA_CONVERSATION,
    participants: [
      {
        id: 'f1e2d3c4-b5a6-4978-8695-a4b3c2d1e0f1',
        name: 'Mobile Number, Ohio',
        address: 'tel:+16145550187',
        connectedTime: '2026-01-05T10:00:00.412Z',
        purpose: 'customer',
        state: 'connected',
        initialState: 'offering',
        direction: 'inbound',
        held: false,
        wrapupRequired: false,
        attributes: {},
        peer: '0c9b8a7f-6e5d-4c3b-2a19-081726354a5b',
      },
      {
        id: '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
        name: 'Support',
        address: 'tel:+18005550100',
        connectedTime: '2026-01-05T10:00:21.118Z',
        endTime: '2026-01-05T10:00:34.902Z',
        purpose: 'acd',
        state: 'disconnected',
        initialState: 'connected',
        direction: 'inbound',
        disconnectType: 'transfer',
        held: false,
        wrapupRequired: false,
        queue: { id: MEDIA_QUEUE },
        attributes: {},
      },
      {
        id: '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a',
        name: 'Ana Pereira',
        address: 'sip:ana.pereira@example.com',
        connectedTime: '2026-01-05T10:00:34.902Z',
        purpose: 'agent',
        state: 'connected',
        initialState: 'alerting',
        direction: 'inbound',
        held: false,
        wrapupRequired: true,
        alertingTimeoutMs: 8000,
        user: { id: MEDIA_USER },
        queue: { id: MEDIA_QUEUE },
        attributes: {},
      },
    ],
    otherMediaUris: [],
  },
  metadata: { CorrelationId: '7c3e1f52-8a4d-4b6e-9f10-2d3c4b5a6e7f' },
});

export const HEARTBEAT_LINE =
  '{"topicName":"channel.metadata","eventBody":{"message":"WebSocket Heartbeat"}}';

/** A topic the deriver does not read: counted by family, ignored. */
export const PRESENCE_LINE = JSON.stringify({
  topicName: `v2.users.${MEDIA_USER}.presence`,
  version: '2',
  eventBody: {
    source: 'PURECLOUD',
    presenceDefinition: { id: '6a3af858-942f-489d-9700-5f9bcdcdae9b', systemPresence: 'Available' },
    modifiedDate: '2026-01-05T09:59:58.000Z',
  },
  metadata: { CorrelationId: '2b4c6d8e-0f1a-4b3c-8d5e-6f7a8b9c0d1e' },
});

/** A logger's own text line between the JSON ones. */
export const GARBAGE_LINE =
  '2026-01-05 10:00:35,118 INFO notifications: received frame on channel streaming-0';

/** The aggregate line cut off where a size-limited logger stops: it still holds the customer's number. */
export const TRUNCATED_LINE = AGGREGATE_LINE.slice(0, AGGREGATE_LINE.indexOf(AGGREGATE_ADDRESS) + 40);
