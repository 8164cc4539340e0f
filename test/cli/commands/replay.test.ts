/**
 * `switchboard replay` as a user runs it, on files as people have them: a logger's or a capture's notification lines
 * with the noise such files carry, a file of nothing readable, an empty file, a missing one.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { REPLAY_NO_INPUT_EXIT_CODE, REPLAY_UNREADABLE_EXIT_CODE } from '../../../src/cli/commands/replay.js';
import {
  AGGREGATE_ADDRESS,
  AGGREGATE_CONVERSATION,
  AGGREGATE_LINE,
  GARBAGE_LINE,
  HEARTBEAT_LINE,
  MEDIA_CONVERSATION,
  MEDIA_LINE,
  PRESENCE_LINE,
  TRUNCATED_LINE,
} from '../../stream/helpers/notification-lines.js';
import { jsonLines, runCli } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'switchboard-replay-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const replay = (file: string) => runCli(['replay', file]);

function write(name: string, lines: string[]): string {
  const file = join(dir, name);
  writeFileSync(file, lines.length === 0 ? '' : `${lines.join('\n')}\n`);
  return file;
}

/** Customer data the lines hold: none of it may reach stdout or stderr. */
const CUSTOMER_DATA = [AGGREGATE_ADDRESS, '+16145550187', 'Mobile Number'];

describe('switchboard replay', () => {
  it('derives events from bare notification lines and sums up what it read, ignored and could not read', async () => {
    const file = write('capture.jsonl', [
      AGGREGATE_LINE,
      MEDIA_LINE,
      HEARTBEAT_LINE,
      GARBAGE_LINE,
      TRUNCATED_LINE,
      '',
      PRESENCE_LINE,
    ]);
    const run = await replay(file);
    assert.equal(run.code, 0, run.stderr);
    const events = jsonLines<{ type: string; conversationId: string }>(run.stdout);
    assert.deepEqual(
      events.map((e) => [e.type, e.conversationId]),
      [
        ['conversation.started', AGGREGATE_CONVERSATION],
        ['conversation.started', MEDIA_CONVERSATION],
        ['participant.joined', MEDIA_CONVERSATION],
      ],
    );
    const summary = run.stderr.slice(run.stderr.indexOf(`replay of ${file}`));
    assert.match(summary, /^replay of .*: 7 lines read, 3 events$/m);
    assert.match(summary, /^ {2}lines: +4 bare notifications, 1 blank line, 2 unreadable$/m);
    assert.match(
      summary,
      /^ {2}ignored: +2 \(1 heartbeat, pong or system message; 1 on topics not derived from: v2\.users\.\{id\}\.presence: 1\)$/m,
    );
    assert.match(summary, /^ {2}unreadable: +2 \(line 4: not JSON; line 5: truncated JSON\)$/m);
    assert.match(summary, /bare notifications carry no receive time/);
    for (const data of CUSTOMER_DATA) {
      assert.ok(!run.stderr.includes(data), `stderr never shows customer data (${data})`);
      assert.ok(!run.stdout.includes(data), `events never carry customer data (${data})`);
    }
  });

  it(`exits ${REPLAY_UNREADABLE_EXIT_CODE} when no line can be read, naming the lines and the formats it reads`, async () => {
    const run = await replay(
      write('garbage.jsonl', [GARBAGE_LINE, TRUNCATED_LINE, '', '{"receivedAt":"soon"}']),
    );
    assert.equal(run.code, REPLAY_UNREADABLE_EXIT_CODE, run.stderr);
    assert.equal(run.stdout, '');
    assert.match(
      run.stderr,
      /unreadable: 3 \(line 1: not JSON; line 2: truncated JSON; line 4: receivedAt is not an ISO time\)/,
    );
    assert.match(
      run.stderr,
      /switchboard: Nothing in .*garbage\.jsonl could be read: 3 lines, none of them a notification/,
    );
    assert.match(run.stderr, /hint: replay reads one JSON object per line/);
    for (const data of CUSTOMER_DATA) assert.ok(!run.stderr.includes(data), `stderr never shows ${data}`);
  });

  it(`exits ${REPLAY_UNREADABLE_EXIT_CODE} on an empty file and ${REPLAY_NO_INPUT_EXIT_CODE} on a missing one, without a stack`, async () => {
    const empty = await replay(write('empty.jsonl', []));
    assert.equal(empty.code, REPLAY_UNREADABLE_EXIT_CODE, empty.stderr);
    assert.match(empty.stderr, /switchboard: .*empty\.jsonl is empty: nothing to replay\./);

    const blank = await replay(write('blank.jsonl', ['', '  ']));
    assert.equal(blank.code, REPLAY_UNREADABLE_EXIT_CODE, blank.stderr);
    assert.match(blank.stderr, /blank\.jsonl is empty/);

    const missing = await replay(join(dir, 'missing.jsonl'));
    assert.equal(missing.code, REPLAY_NO_INPUT_EXIT_CODE, missing.stderr);
    assert.match(missing.stderr, /switchboard: Cannot read .*missing\.jsonl: no such file\./);
    assert.doesNotMatch(missing.stderr, /\n\s+at /, 'no stack trace');
  });
});
