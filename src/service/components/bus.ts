/**
 * A replica's NATS JetStream: connected, its event stream created or checked, before the sinks that publish to it
 * and the engine that reads it; closed after them.
 */
import { type Bus, connectBus } from '../../bus/connection.js';
import { ensureEventStream } from '../../bus/event-stream.js';
import type { Logger } from '../../logging.js';
import type { ServiceComponent } from '../component.js';
import type { BusConfig } from '../config.js';
import type { StopContext } from '../shutdown.js';
import type { ServiceStatusStream } from '../status.js';

export class BusComponent implements ServiceComponent {
  readonly name = 'bus';
  private connected: Bus | undefined;

  constructor(
    readonly config: BusConfig,
    private readonly options: { replicaId: string | undefined; status: ServiceStatusStream; logger: Logger },
  ) {}

  /** The connection (once started). */
  get bus(): Bus {
    if (!this.connected) throw new Error('the bus is not connected yet');
    return this.connected;
  }

  async start(): Promise<void> {
    const bus = await connectBus({
      url: this.config.url,
      name: this.options.replicaId,
      logger: this.options.logger,
    });
    try {
      const info = await ensureEventStream(bus, {
        stream: this.config.stream,
        subjectPrefix: this.config.subjectPrefix,
        duplicateWindowMs: this.config.duplicateWindowMs,
      });
      this.options.status.emit({
        type: 'bus-connected',
        description: bus.description,
        serverVersion: bus.serverVersion,
        stream: info.stream,
        subjectPrefix: info.subjectPrefix,
      });
    } catch (error) {
      await bus.close().catch(() => undefined);
      throw error;
    }
    this.connected = bus;
  }

  async stop(context: StopContext): Promise<void> {
    const bus = this.connected;
    if (bus) await context.step('bus', () => bus.close());
  }
}
