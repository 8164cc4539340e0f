/**
 * `switchboard replay` of a recording of EventBridge events (detail events, in any order, some twice): every fact of
 * the conversation comes out once, without waiting for the hold window or the settle interval — the recording's end
 * is the end of the input.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { eventId, eventSubject, type LifecycleEvent } from '../../src/events.js';
import { CONV, shuffled, voiceTransferRecords } from '../conversations/detail-helpers.js';
import { jsonLines, runCli } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'switchboard-replay-detail-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('switchboard replay of EventBridge detail events', () => {
  it('derives the whole conversation at the end of the recording', async () => {
    const records = voiceTransferRecords();
    const lines = shuffled([...records, ...records.slice(0, 5)], 3).map((r, i) =>
      JSON.stringify({
        version: '0',
        id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
        'detail-type': r.topic.replace(CONV, '{id}'),
        source: 'aws.partner/genesys.com/cloud/org/switchboard',
        account: '000000000000',
        time: new Date(r.body.eventTime as number).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        region: 'us-east-1',
        resources: [],
        detail: {
          topicName: r.topic,
          version: '2',
          eventBody: r.body,
          metadata: { CorrelationId: `c-${i}` },
        },
      }),
    );
    const file = join(dir, 'eventbridge.jsonl');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const { code, stdout, stderr } = await runCli(['replay', file]);
    assert.equal(code, 0, stderr);
    const events = jsonLines<LifecycleEvent>(stdout);
    assert.deepEqual(events.map((e) => e.type).sort(), [
      'conversation.ended',
      'conversation.started',
      'conversation.transferred',
      'conversation.wrapup',
      'conversation.wrapup',
      'participant.joined',
      'participant.joined',
      'participant.left',
      'participant.left',
    ]);
    for (const e of events) assert.equal(e.id, eventId(CONV, e.type, eventSubject(e)));
  });
});
