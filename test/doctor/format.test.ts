/** The checklist as people read it: a mark and title per check, its detail, and a fix under warnings and failures only. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type DoctorReport, formatReport } from '../../src/doctor/index.js';

const report: DoctorReport = {
  version: 1,
  ok: false,
  region: {
    name: 'eu_west_1',
    apiBaseUrl: 'https://api.mypurecloud.ie',
    loginBaseUrl: 'https://login.mypurecloud.ie',
  },
  clientId: 'c0ffee',
  checks: [
    { id: 'queues', title: 'Queues', status: 'pass', detail: 'Allowed.', fix: 'never shown for a pass' },
    { id: 'token', title: 'Token', status: 'warn', detail: 'Lives 5 min.', fix: 'Lengthen it.' },
    {
      id: 'analytics',
      title: 'Analytics',
      status: 'fail',
      detail: `Refused. ${'word '.repeat(40)}`,
      fix: 'Grant it.',
    },
    { id: 'divisions', title: 'Divisions', status: 'skip', detail: 'Needs queues.' },
  ],
  summary: { pass: 1, warn: 1, fail: 1, skip: 1 },
  requests: 7,
  leftBehind: [{ id: 'chan-1', expires: '2030-01-02T03:04:05.000Z' }],
};

describe('doctor checklist', () => {
  const text = formatReport(report);

  it('names the region and client, then one entry per check with its mark', () => {
    assert.match(text, /^switchboard doctor — region eu_west_1, client c0ffee\n/);
    for (const line of ['[ok]    Queues', '[warn]  Token', '[FAIL]  Analytics', '[skip]  Divisions']) {
      assert.ok(text.includes(`\n${line}\n`), line);
    }
  });

  it('shows a fix under warnings and failures, never under a pass', () => {
    assert.ok(text.includes('fix: Lengthen it.'));
    assert.ok(text.includes('fix: Grant it.'));
    assert.ok(!text.includes('never shown for a pass'));
  });

  it('wraps long details within 100 columns, ends with the counts, the channel left behind and the verdict', () => {
    for (const line of text.split('\n')) assert.ok(line.length <= 100, line);
    assert.match(text, /1 passed, 1 warning\(s\), 1 failed, 1 skipped; 7 REST request\(s\)\./);
    assert.match(text, /Left behind: notification channel chan-1 \(expires 2030-01-02T03:04:05\.000Z\)\./);
    assert.match(text, /Blockers found/);
  });
});
