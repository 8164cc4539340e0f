/**
 * The dashboard in a real browser (Debian's Chromium through playwright-core): the demo runs in-process, reading the
 * emulator's WebSocket and its EventBridge queue together; the page shows live counts rising, the source (both) with
 * the queue's lag, receives, deletes, redeliveries, poison and held messages as the queue reports them, the event list
 * filters, a dropped socket is survived in sight, and a screenshot is kept under test-results/.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import type { SqsSourceStats } from '../../src/eventbridge/index.js';
import { type Demo, startDemo } from '../../src/service/demo.js';
import { createProactiveRuntime } from '../../src/service/proactive.js';
import { waitForAsync } from '../helpers/wait-for.js';
import { capturingReporter } from '../service/helpers.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
const skip =
  !available && process.env.CI !== 'true'
    ? `Chromium not found at ${CHROMIUM}: install it with "apt-get install -y chromium" (or set CHROMIUM_PATH) to run the dashboard test`
    : false;

process.env.AWS_EC2_METADATA_DISABLED = 'true';
process.env.AWS_ACCESS_KEY_ID = 'AKIDEMULATOR';
process.env.AWS_SECRET_ACCESS_KEY = 'emulator-secret';

const number = async (page: Page, selector: string): Promise<number> =>
  Number(((await page.textContent(selector)) ?? '').replace(/[^\d]/g, '') || Number.NaN);

describe('dashboard in a browser', { skip }, () => {
  it('shows live counts and both sources, filters events, and shows a dropped socket recover', async () => {
    assert.ok(available, `CI=true and Chromium is missing at ${CHROMIUM}: the CI script must install it`);
    let demo: Demo | undefined;
    let browser: Browser | undefined;
    const pageErrors: string[] = [];
    try {
      demo = await startDemo({
        port: 0,
        heartbeatIntervalMs: 500,
        timeScale: 20,
        conversationsPerMinute: 30,
        historyDays: 7,
        proactive: createProactiveRuntime,
        reporter: capturingReporter(),
        overviewEveryMs: 300,
        eventBridge: true,
      });
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: [
          '--no-sandbox',
          '--disable-gpu',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
          '--no-first-run',
          '--disable-quic',
        ],
      });
      const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
      page.on('pageerror', (error) => pageErrors.push(error.message));
      await page.goto(`${demo.url}/`);

      // Keyboard: the first Tab reaches the skip link, and the filters are real, labelled controls.
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate('document.activeElement?.textContent'), 'Skip to latest events');
      assert.equal(await page.getByLabel('Type').count(), 1);
      assert.equal(await page.getByRole('button', { name: 'Pause' }).count(), 1);

      // Live: ready, connected, and the counts rise.
      await page.waitForSelector('#ready.pill-ok', { timeout: 10_000 });
      await page.waitForSelector('#live.on', { timeout: 5000 });
      assert.equal(await page.textContent('#ready'), 'Ready');
      assert.equal(await page.isVisible('#mode'), true, 'the demo badge shows');
      await waitForAsync(async () => (await number(page, '#k-events')) > 0, 'events are counted', {
        timeoutMs: 10_000,
        intervalMs: 100,
      });
      const before = await number(page, '#k-events');
      await waitForAsync(async () => (await number(page, '#k-events')) > before, 'the event count rises', {
        timeoutMs: 10_000,
        intervalMs: 100,
      });
      await waitForAsync(
        async () => (await page.locator('#event-table tbody tr[data-type]').count()) >= 5,
        'the event list fills',
        { timeoutMs: 5000, intervalMs: 100 },
      );
      await waitForAsync(
        async () => (await page.locator('#inprogress tbody tr[data-queue]').count()) > 0,
        'conversations show in progress by queue',
        { timeoutMs: 10_000, intervalMs: 100 },
      );
      assert.equal(await page.locator('#chart svg polyline[data-series]').count(), 4, 'four series charted');

      // The source: both, and the EventBridge queue's figures as the queue itself reports them.
      await page.waitForSelector('#source-kind[data-kind="both"]', { timeout: 5000 });
      assert.equal(await page.textContent('#source-kind'), 'WebSocket + EventBridge');
      await waitForAsync(
        async () => (await number(page, '#eventbridge td[data-figure="deleted"]')) > 0,
        'EventBridge messages are received and deleted',
        { timeoutMs: 15_000, intervalMs: 100 },
      );
      // A poison message: received, never deleted, counted as poison (and again as a redelivery once it comes back).
      await fetch(`${demo.emulator.url}/__emulator/eventbridge/poison`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ n: 1, kind: 'not-json' }),
      });
      await waitForAsync(
        async () => (await number(page, '#eventbridge td[data-figure="poison"]')) > 0,
        'the poison message is counted',
        { timeoutMs: 15_000, intervalMs: 100 },
      );
      const shown = await page.$$eval('#eventbridge td[data-figure]', (cells) =>
        Object.fromEntries(
          cells.map((cell) => [cell.getAttribute('data-figure'), cell.getAttribute('data-value')]),
        ),
      );
      const queue = demo.service.stream.health().source as SqsSourceStats;
      assert.ok(
        Number(shown.received) > 0 && Number(shown.received) <= queue.received,
        'received as the queue says',
      );
      assert.ok(Number(shown.deleted) <= queue.deleted, 'deleted as the queue says');
      assert.ok(Number(shown.redeliveries) <= queue.redeliveries, 'redeliveries as the queue says');
      assert.ok(Number(shown.held) >= 0 && shown.held !== '', 'messages held shown');
      assert.ok(Number(shown.lag) >= 0 && shown.lag !== '', 'the lag is shown');
      assert.match((await page.textContent('#eventbridge td[data-figure="lag"]')) ?? '', /\d+ (ms|s)/);
      assert.match((await page.textContent('#source-note')) ?? '', /SQS queue http:\/\/127\.0\.0\.1:\d+\//);

      // Filters: by type, then by media, then back to everything.
      await page.selectOption('#f-type', 'conversation.started');
      await waitForAsync(
        async () => {
          const types = await page.$$eval('#event-table tbody tr[data-type]', (rows) =>
            rows.map((row) => row.getAttribute('data-type')),
          );
          return types.length > 0 && types.every((type) => type === 'conversation.started');
        },
        'only started events are listed',
        { timeoutMs: 5000, intervalMs: 100 },
      );
      await page.selectOption('#f-type', '');
      await page.selectOption('#f-media', 'voice');
      await waitForAsync(
        async () => {
          const media = await page.$$eval('#event-table tbody tr[data-media]', (rows) =>
            rows.map((row) => row.getAttribute('data-media')),
          );
          return media.length > 0 && media.every((m) => m === 'voice');
        },
        'only voice events are listed',
        { timeoutMs: 5000, intervalMs: 100 },
      );
      await page.selectOption('#f-media', '');

      // A fault from the dashboard: the sockets drop, the channel reconnects and is connected again.
      const row = page.locator('#channels tbody tr[data-slot="0"]');
      const reconnectsBefore = Number(await row.getAttribute('data-reconnects'));
      await page.click('button[data-fault*="drop-sockets"]');
      await page.waitForSelector('#fault-result:has-text("done")', { timeout: 5000 });
      await waitForAsync(
        async () => {
          const reconnects = Number(await row.getAttribute('data-reconnects'));
          const state = await row.getAttribute('data-state');
          return reconnects > reconnectsBefore && state === 'connected';
        },
        'the channel has reconnected',
        { timeoutMs: 15_000, intervalMs: 100 },
      );
      await page.waitForSelector('#activity li:has-text("disconnected")', { timeout: 5000 });
      await page.waitForSelector('#ready.pill-ok', { timeout: 10_000 });

      // The ledger panel shows the decisions of the example rules' first sweep.
      await waitForAsync(
        async () => (await page.locator('#ledger tbody tr[data-outcome]').count()) > 0,
        'the ledger lists decisions',
        { timeoutMs: 10_000, intervalMs: 100 },
      );

      mkdirSync('test-results', { recursive: true });
      await page.waitForTimeout(1500);
      await page.screenshot({ path: join('test-results', 'dashboard.png'), fullPage: true });
      assert.deepEqual(pageErrors, [], 'no script errors on the page');
    } finally {
      await browser?.close();
      await demo?.stop();
    }
  });
});
