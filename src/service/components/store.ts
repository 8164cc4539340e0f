/** The store: checkpoints and the proactive ledger, opened first among the stream's parts and closed after them. */
import type { Logger } from '../../logging.js';
import { type LedgerStore, ledgerOf, openStore, type SwitchboardStore } from '../../store/index.js';
import type { ServiceComponent } from '../component.js';
import type { ServiceConfig } from '../config.js';
import type { StopContext } from '../shutdown.js';
import type { ServiceStatusStream } from '../status.js';

export class StoreComponent implements ServiceComponent {
  readonly name = 'store';
  private opened: SwitchboardStore | undefined;
  private ledgerStore: LedgerStore | undefined;

  constructor(
    private readonly config: ServiceConfig,
    private readonly status: ServiceStatusStream,
    private readonly logger: Logger,
  ) {}

  /** The open store (once started). */
  get store(): SwitchboardStore {
    if (!this.opened) throw new Error('the store is not open yet');
    return this.opened;
  }

  /** Its proactive ledger, once open (the dashboard's ledger panel). */
  ledger(): LedgerStore | undefined {
    if (!this.opened) return undefined;
    this.ledgerStore ??= ledgerOf(this.opened);
    return this.ledgerStore;
  }

  async start(): Promise<void> {
    this.opened = await openStore(this.config.store.path, {
      ...(this.config.cluster ? { replicaId: this.config.cluster.replicaId } : {}),
      logger: this.logger,
    });
    this.status.emit({ type: 'store-opened', description: this.opened.description });
  }

  async stop(context: StopContext): Promise<void> {
    const store = this.opened;
    if (store) await context.step('store', () => store.close());
  }
}
