/**
 * The sinks: every configured one, and those the service's topology adds around them (a replica publishes to
 * JetStream first; one process feeds its proactive engine last). Opened before the stream that writes to them,
 * closed after it, so what the stream derived is delivered (or kept in the outboxes) before the process exits.
 */
import type { Logger } from '../../logging.js';
import { type ReadinessBounds, sinkReadiness } from '../../server/readiness.js';
import { createSink, EventDispatcher, type EventSink } from '../../sinks/index.js';
import { describeSink } from '../../sinks/registry.js';
import type { ServiceComponent } from '../component.js';
import type { ServiceConfig } from '../config.js';
import type { StopContext } from '../shutdown.js';
import type { ServiceStatusStream } from '../status.js';

/** A sink and how the start-up summary names it. */
export interface DescribedSink {
  sink: EventSink;
  description: string;
}

/** Sinks besides the configured ones, built once the components before the sinks have started. */
export interface ExtraSinks {
  before: DescribedSink[];
  after: DescribedSink[];
}

export interface SinksComponentOptions {
  config: ServiceConfig;
  extra: () => ExtraSinks;
  bounds: ReadinessBounds;
  status: ServiceStatusStream;
  logger: Logger;
}

export class SinksComponent implements ServiceComponent {
  readonly name = 'sinks';
  private opened: EventDispatcher | undefined;

  constructor(private readonly options: SinksComponentOptions) {}

  /** Where the stream's events go (undefined when there is no sink at all: the dashboard and API only). */
  get dispatcher(): EventDispatcher | undefined {
    return this.opened;
  }

  async start(): Promise<void> {
    const { config, logger } = this.options;
    const created: DescribedSink[] = [];
    try {
      const extra = this.options.extra();
      created.push(...extra.before);
      for (const spec of config.sinks) {
        const sink = createSink(spec, {
          logger,
          ...(config.outboxDir ? { outboxDir: config.outboxDir } : {}),
        });
        created.push({ sink, description: describeSink(spec) });
      }
      created.push(...extra.after);
      if (created.length > 0)
        this.opened = new EventDispatcher(
          created.map((c) => c.sink),
          { logger },
        );
    } catch (error) {
      await Promise.allSettled(created.map(({ sink }) => sink.close({ timeoutMs: 0 })));
      throw error;
    }
    this.options.status.emit({ type: 'sinks-opened', sinks: created.map((c) => c.description) });
  }

  async stop(context: StopContext): Promise<void> {
    const dispatcher = this.opened;
    if (dispatcher) await context.step('sinks', () => dispatcher.close({ timeoutMs: context.remainingMs() }));
  }

  readiness(): ReturnType<typeof sinkReadiness> {
    return sinkReadiness(this.opened?.health() ?? [], this.options.bounds);
  }
}
