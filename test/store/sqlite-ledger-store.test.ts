import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe } from 'node:test';
import { ledgerOf, openSqliteStore } from '../../src/store/index.js';
import { ledgerBehaviours } from './store-suite.js';

const dir = mkdtempSync(join(tmpdir(), 'switchboard-ledger-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('SqliteLedgerStore', () => {
  ledgerBehaviours(async (name, options = {}) => {
    const store = openSqliteStore({ path: join(dir, `${name}.db`), ...options });
    return { ledger: ledgerOf(store), close: () => store.close() };
  });
});
