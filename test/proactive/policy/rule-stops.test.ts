/** The rules stopped for a missing permission: the first reason kept, logged once, visible to readers as it changes. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Logger } from '../../../src/logging.js';
import { RuleStops } from '../../../src/proactive/policy/rule-stops.js';

describe('rule stops', () => {
  it('keeps the first reason a rule was stopped for and logs it once', () => {
    const logged: unknown[][] = [];
    const stops = new RuleStops({ error: (...args: unknown[]) => logged.push(args) } as unknown as Logger);
    const view = stops.all;
    assert.equal(stops.isStopped('r1'), false);
    stops.stop('r1', 'POST /api/v2/x was refused (403)');
    stops.stop('r1', 'another refusal');
    assert.equal(stops.isStopped('r1'), true);
    assert.equal(stops.reasonOf('r1'), 'rule stopped: POST /api/v2/x was refused (403)');
    assert.equal(stops.reasonOf('r2'), undefined);
    assert.deepEqual([...view.keys()], ['r1'], 'the view follows later stops');
    assert.deepEqual(logged, [[{ ruleId: 'r1' }, 'rule stopped: POST /api/v2/x was refused (403)']]);
  });
});
