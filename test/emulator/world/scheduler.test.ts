import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Clock, ManualClock } from '../../../src/emulator/world/clock.js';
import { Scheduler } from '../../../src/emulator/world/scheduler.js';

describe('Scheduler', () => {
  it('runs events in due order, same-time events in insertion order, each with its own due time', () => {
    const clock = new ManualClock(1000);
    const scheduler = new Scheduler(clock, (e) => assert.fail(String(e)));
    const ran: string[] = [];
    scheduler.schedule(1300, (t) => ran.push(`c@${t}`));
    scheduler.schedule(1100, (t) => ran.push(`a@${t}`));
    scheduler.schedule(1300, (t) => ran.push(`d@${t}`));
    scheduler.schedule(1200, (t) => {
      ran.push(`b@${t}`);
      scheduler.schedule(1250, (t2) => ran.push(`nested@${t2}`));
    });
    clock.advance(240);
    assert.deepEqual(ran, ['a@1100', 'b@1200']);
    clock.advance(110);
    assert.deepEqual(ran, ['a@1100', 'b@1200', 'nested@1250', 'c@1300', 'd@1300']);
    assert.equal(scheduler.size, 0);
    assert.equal(clock.pendingTimers, 0, 'no timer is left armed once the timeline is empty');
  });

  it('never runs an event early when the timer fires early', () => {
    let now = 0;
    const timers: (() => void)[] = [];
    const clock: Clock = {
      now: () => now,
      setTimeout: (fn) => timers.push(fn),
      clearTimeout: () => {},
    };
    const scheduler = new Scheduler(clock, (e) => assert.fail(String(e)));
    const ran: number[] = [];
    scheduler.schedule(100, (t) => ran.push(t));
    now = 99;
    timers.shift()!();
    assert.deepEqual(ran, [], 'one millisecond early: nothing runs, the timer is re-armed');
    assert.equal(timers.length, 1);
    now = 100;
    timers.shift()!();
    assert.deepEqual(ran, [100]);
  });

  it('yields after the events due when it fired, even when running them takes longer than they are apart', () => {
    let now = 0;
    const timers: (() => void)[] = [];
    const clock: Clock = { now: () => now, setTimeout: (fn) => timers.push(fn), clearTimeout: () => {} };
    const scheduler = new Scheduler(clock, (e) => assert.fail(String(e)));
    let ran = 0;
    const chain = (due: number) => {
      ran++;
      now += 5; // each event costs more time than the gap to the next one
      scheduler.schedule(due + 1, chain);
    };
    scheduler.schedule(0, chain);
    now = 10;
    timers.shift()!();
    assert.equal(ran, 11, 'only the events due at t=10 ran; the rest waits for the next turn');
    assert.equal(timers.length, 1, 'a timer is armed for the next turn');
  });

  it('keeps going after an event throws and reports the error; stop drops everything', () => {
    const clock = new ManualClock(0);
    const errors: unknown[] = [];
    const scheduler = new Scheduler(clock, (e) => errors.push(e));
    const ran: number[] = [];
    scheduler.schedule(10, () => {
      throw new Error('boom');
    });
    scheduler.schedule(20, (t) => ran.push(t));
    scheduler.schedule(30, (t) => ran.push(t));
    clock.advance(25);
    assert.equal(errors.length, 1);
    assert.deepEqual(ran, [20]);
    scheduler.stop();
    clock.advance(100);
    assert.deepEqual(ran, [20]);
    assert.equal(clock.pendingTimers, 0);
  });
});
