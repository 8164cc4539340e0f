import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Emulator, startEmulator } from '../../src/emulator/index.js';
import { CONVERSATION_PERMISSIONS } from '../../src/emulator/routes/conversations.js';
import { AuthenticationError, GenesysApiError } from '../../src/errors.js';
import { createLogger } from '../../src/logging.js';
import { clientFor, emulatorTarget, type PlatformTarget } from './support/clients.js';

/** A client that may read conversations but not send agentless messages (the send answers 403). */
const READER = {
  clientId: 'client-4f1c',
  clientSecret: 'secret-Zx9-very-private',
  permissions: [...CONVERSATION_PERMISSIONS.view],
};

let emulator: Emulator;
let server: PlatformTarget;
const conversationIds: string[] = [];
const lines: string[] = [];
const logger = createLogger({ level: 'debug', destination: { write: (line: string) => lines.push(line) } });

before(async () => {
  emulator = await startEmulator({ clients: [READER], historyDays: 0, conversationsPerMinute: 0 });
  server = emulatorTarget(emulator, READER);
  for (let i = 0; i < 3; i++) {
    conversationIds.push(
      emulator.world!.startScriptedConversation({ kind: 'voice', transfer: 'none' }).conversationId,
    );
  }
});
after(async () => {
  await emulator.stop();
});

/** The bearer tokens clients presented, in the order they were first used. */
function presentedTokens(): string[] {
  const tokens = emulator.requests
    .list()
    .map((entry) => entry.headers.authorization)
    .filter((value): value is string => value?.startsWith('Bearer ') === true)
    .map((value) => value.slice('Bearer '.length));
  return [...new Set(tokens)];
}

function issuedTokenCount(): number {
  const { active, expired, revoked } = emulator.tokens.counts();
  return active + expired + revoked;
}

describe('secrets and tokens never reach the logs', () => {
  it('logs method, path, status, duration and correlation id, and nothing secret', async () => {
    const client = clientFor(server, { logger });
    const wrong = clientFor(server, { logger, clientSecret: 'wrong-secret-Qq7' });
    try {
      await client.request({ method: 'GET', path: `/api/v2/conversations/${conversationIds[0]}` });
      emulator.faults.revokeTokens({ clientId: READER.clientId }); // forces a 401, a token refresh and a retry
      await client.conversations.getConversation(conversationIds[1]!);
      const error = await client
        .request({
          method: 'POST',
          path: '/api/v2/conversations/messages/agentless',
          body: { toAddress: '+15550100' },
        })
        .catch((e: unknown) => e);
      assert.ok(error instanceof GenesysApiError);
      logger.error({ err: error }, 'send failed');
      const refused = await wrong.tokens.getToken().catch((e: unknown) => e);
      assert.ok(refused instanceof AuthenticationError);
      logger.error({ err: refused }, 'auth failed');
      // Even a careless caller logging a whole object has the sensitive keys redacted.
      logger.info({ clientSecret: server.clientSecret, token: presentedTokens()[1] }, 'careless');
    } finally {
      await client.close();
      await wrong.close();
    }
    logger.flush();
    const output = lines.join('');
    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const requestLines = records.filter((r) => r.msg === 'platform request');
    assert.ok(requestLines.length >= 4, 'one line per attempt');
    for (const record of requestLines) {
      assert.ok(record.method && record.path && record.status, JSON.stringify(record));
      assert.equal(typeof record.durationMs, 'number');
      assert.equal(typeof record.correlationId, 'string');
    }
    assert.ok(
      requestLines.some((r) => r.status === 401 && r.path === `/api/v2/conversations/${conversationIds[1]}`),
    );
    assert.ok(records.some((r) => r.msg === 'oauth token request'));

    assert.equal(issuedTokenCount(), 2);
    assert.equal(presentedTokens().length, 2);
    const forbidden = [
      server.clientSecret,
      'wrong-secret-Qq7',
      ...presentedTokens(),
      Buffer.from(`${server.clientId}:${server.clientSecret}`).toString('base64'),
      Buffer.from(`${server.clientId}:wrong-secret-Qq7`).toString('base64'),
      'Bearer',
      '+15550100',
    ];
    for (const secret of forbidden) assert.ok(!output.includes(secret), `log output contains ${secret}`);
  });

  it("silences the SDK's own logger even when its level is turned up", async () => {
    const client = clientFor(server);
    try {
      const sdkLogger = client.apiClient.config.logger as unknown as {
        log_level: string;
        log_to_console: boolean;
        setLogger(): void;
        logger: { log: (...args: unknown[]) => void; transports: unknown[] };
      };
      sdkLogger.log_level = 'trace';
      sdkLogger.log_to_console = true;
      sdkLogger.setLogger();
      assert.ok(sdkLogger.logger.transports.length > 0, 'the SDK would print to the console');
      const reached: unknown[][] = [];
      sdkLogger.logger.log = (...args: unknown[]) => {
        reached.push(args);
      };
      await client.conversations.getConversation(conversationIds[2]!);
      await client.conversations.getConversation('gone').catch(() => undefined);
      assert.deepEqual(reached, [], "nothing reached the SDK's console logger");
    } finally {
      await client.close();
    }
  });
});
