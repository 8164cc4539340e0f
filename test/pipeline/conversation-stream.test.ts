import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertCovered, settleAndCompare, sleep, startScenario } from './stream-harness.js';

describe('ConversationStream against the emulator, no faults', () => {
  it('delivers exactly the facts the simulator produced', async () => {
    const scenario = await startScenario();
    try {
      await sleep(5000);
      const coverage = await settleAndCompare(scenario);
      assertCovered(coverage);
      assert.equal(scenario.stream.health().gaps.total, 0);
    } finally {
      await scenario.stop();
    }
  });
});

describe('ConversationStream rides out socket faults', () => {
  it('sockets dropped: reconnects to the same channel and backfills the gap', async () => {
    const scenario = await startScenario();
    try {
      await sleep(2500);
      scenario.emulator.faults.dropSockets();
      await sleep(3000);
      const coverage = await settleAndCompare(scenario);
      assertCovered(coverage);
      assert.ok(scenario.stream.health().gaps.total >= 1, 'the drop was recorded as a gap');
    } finally {
      await scenario.stop();
    }
  });

  it('heartbeats stopped (a silent socket): the watchdog reconnects and the backfill recovers what was withheld', async () => {
    const scenario = await startScenario();
    try {
      await sleep(2500);
      scenario.emulator.faults.stopHeartbeats(3);
      await sleep(5000);
      const coverage = await settleAndCompare(scenario);
      assertCovered(coverage);
      assert.ok(scenario.stream.health().gaps.total >= 1, 'the silence was recorded as a gap');
      assert.ok(coverage.delivered > 0);
    } finally {
      await scenario.stop();
    }
  });

  it('socket_closing: hands over to a new channel before the old socket closes', async () => {
    const scenario = await startScenario();
    try {
      await sleep(2500);
      const before = scenario.emulator.status().channels;
      scenario.emulator.faults.socketClosing(1500);
      await sleep(4000);
      const coverage = await settleAndCompare(scenario);
      assertCovered(coverage);
      assert.ok(before >= 1);
      assert.ok(scenario.stream.health().pool?.connected, 'connected after the hand-over');
    } finally {
      await scenario.stop();
    }
  });

  it('channel expired: creates a new channel, re-subscribes and backfills', async () => {
    const scenario = await startScenario();
    try {
      await sleep(2500);
      scenario.emulator.faults.expireChannels();
      await sleep(4000);
      const coverage = await settleAndCompare(scenario);
      assertCovered(coverage);
      assert.ok(scenario.stream.health().pool?.connected);
    } finally {
      await scenario.stop();
    }
  });
});
