/**
 * Sinks from configuration: the command-line form, e.g.
 *
 *   stdout
 *   file:./events.jsonl?maxBytes=10485760&keep=5&daily=true
 *   webhook:https://example.test/hook?secret=env:HOOK_SECRET&timeoutMs=5000
 *   nats://127.0.0.1:4222?stream=SWITCHBOARD_EVENTS&prefix=switchboard.events
 *
 * or the object form (`SinkConfig`). The word before the first `:` or `?` names the kind; the kind's module (see
 * registry.ts) reads the rest and builds the sink. Options common to every kind are listed in kind.ts, each kind's
 * own in its module.
 */
import { ConfigError } from '../errors.js';
import { silentLogger } from '../logging.js';
import { EventDispatcher } from './dispatcher.js';
import type { CreateSinkOptions, SinkBasics } from './kind.js';
import type { OutboxSettings } from './queued-sink.js';
import { type SinkConfig, sinkKind, sinkKindNames, sinkSpecUsage } from './registry.js';
import type { EventSink } from './types.js';

const SPEC_HINT = `Forms: ${sinkSpecUsage(' | ')}.`;

/** Parses a command-line sink spec into a {@link SinkConfig}; throws ConfigError saying what is wrong. */
export function parseSinkSpec(
  spec: string,
  env: Record<string, string | undefined> = process.env,
): SinkConfig {
  const match = /^([A-Za-z][\w-]*)(.*)$/s.exec(spec.trim());
  if (!match) throw new ConfigError('A sink spec is empty or malformed.', { hint: SPEC_HINT });
  const name = match[1]!.toLowerCase();
  const rest = match[2]!;
  const kind = sinkKind(name);
  if (!kind) {
    throw new ConfigError(`Unknown sink kind "${name}".`, {
      hint: `Known kinds: ${sinkKindNames().join(', ')}. ${SPEC_HINT}`,
    });
  }
  if (rest !== '' && !rest.startsWith(':') && !rest.startsWith('?')) {
    throw new ConfigError(`Sink spec for "${name}" must continue with ":" or "?".`, { hint: SPEC_HINT });
  }
  return kind.parseSpec(rest.startsWith(':') ? rest.slice(1) : rest, env);
}

/** Builds a sink from a spec string or a {@link SinkConfig}. */
export function createSink(spec: string | SinkConfig, options: CreateSinkOptions = {}): EventSink {
  const config = typeof spec === 'string' ? parseSinkSpec(spec, options.env) : spec;
  const kind = sinkKind(config.kind);
  if (!kind) {
    throw new ConfigError(`Unknown sink kind "${(config as { kind: string }).kind}".`, { hint: SPEC_HINT });
  }
  const logger = options.logger ?? silentLogger();
  const outbox = withOutboxDir(config.outbox, options.outboxDir);
  const basics: SinkBasics = {
    name: config.name ?? kind.defaultName(config),
    logger,
    ...(outbox ? { outbox } : {}),
    ...(config.retry ? { retry: config.retry } : {}),
    ...(config.closeTimeoutMs !== undefined ? { closeTimeoutMs: config.closeTimeoutMs } : {}),
    ...(options.now ? { now: options.now } : {}),
  };
  const sink = kind.create(config, basics, options);
  const health = sink.health();
  logger.info(
    {
      sink: sink.name,
      kind: sink.kind,
      policy: health.policy,
      capacity: health.capacity,
      outbox: health.outbox,
    },
    'sink ready',
  );
  return sink;
}

/** Builds a dispatcher over several sinks. */
export function createSinks(specs: readonly (string | SinkConfig)[], options: CreateSinkOptions = {}) {
  return new EventDispatcher(
    specs.map((spec) => createSink(spec, options)),
    options.logger ? { logger: options.logger } : {},
  );
}

/**
 * Where outboxes go beside a SQLite store (`./switchboard.db` → `./switchboard-outbox`): on the same disk as the
 * checkpoint that counts on them. Undefined for PostgreSQL (`postgres://…`) or an in-memory store.
 */
export function outboxDirBesideStore(store: string): string | undefined {
  if (/^postgres(ql)?:\/\//i.test(store) || store === ':memory:' || store.trim() === '') return undefined;
  return `${store.replace(/\.(db|sqlite3?)$/i, '')}-outbox`;
}

/** The sink's own outbox directory, or the shared one. */
function withOutboxDir(
  outbox: Partial<OutboxSettings> | undefined,
  shared: string | undefined,
): Partial<OutboxSettings> | undefined {
  if (outbox?.dir || !shared) return outbox;
  return { ...outbox, dir: shared };
}
