/**
 * The JetStream stream that holds lifecycle events, on subjects `<prefix>.>` (subjects.ts says which event goes
 * where). A conversation's events keep their order because one publisher publishes them in order; the stream's
 * duplicate window drops a republished event (same id) within that window.
 */
import {
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
  type StreamInfo,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { ConfigError } from '../errors.js';
import type { Bus } from './connection.js';
import {
  checkStreamName,
  checkSubjectPrefix,
  DEFAULT_EVENT_STREAM,
  DEFAULT_SUBJECT_PREFIX,
} from './subjects.js';

/** Longer than any hand-over of a shard between replicas, so an event republished by the next owner is dropped. */
export const DEFAULT_DUPLICATE_WINDOW_MS = 10 * 60_000;
export const DEFAULT_MAX_AGE_MS = 7 * 86_400_000;

/** Options of {@link ensureEventStream}. */
export interface EventStreamOptions {
  /** Stream name (default `SWITCHBOARD_EVENTS`). */
  stream?: string;
  /** Subject prefix (default `switchboard.events`); the stream takes `<prefix>.>`. */
  subjectPrefix?: string;
  /** Window in which a second publish of the same event id is dropped (default 10 min). */
  duplicateWindowMs?: number;
  /** How long events are kept (default 7 days). */
  maxAgeMs?: number;
  /** Copies kept in a NATS cluster (default 1). */
  replicas?: number;
}

/** The stream as it is after {@link ensureEventStream}. */
export interface EventStreamInfo {
  stream: string;
  subjectPrefix: string;
  subjects: string[];
  duplicateWindowMs: number;
  maxAgeMs: number;
  replicas: number;
  /** Messages stored right now. */
  messages: number;
  /** True when this call created the stream. */
  created: boolean;
  /** True when this call changed the settings of an existing stream. */
  updated: boolean;
}

const NAME_IN_USE = 10058;
const SUBJECTS_OVERLAP = 10065;

/**
 * Creates the event stream (file storage, limits retention, subjects `<prefix>.>`) or checks an existing one. Of
 * an existing stream, settings given in `options` are applied; those left out keep their current values, so an
 * operator's tuning survives restarts. A stream of that name with other subjects is a ConfigError.
 */
export async function ensureEventStream(
  bus: Bus,
  options: EventStreamOptions = {},
): Promise<EventStreamInfo> {
  const name = options.stream ?? DEFAULT_EVENT_STREAM;
  const prefix = options.subjectPrefix ?? DEFAULT_SUBJECT_PREFIX;
  checkStreamName(name);
  checkSubjectPrefix(prefix);
  for (const [key, value] of [
    ['duplicateWindowMs', options.duplicateWindowMs],
    ['maxAgeMs', options.maxAgeMs],
    ['replicas', options.replicas],
  ] as const) {
    if (value !== undefined && (!Number.isSafeInteger(value) || value < 1)) {
      throw new ConfigError(
        `Event stream ${name}: ${key} must be a whole number of at least 1, got ${value}.`,
      );
    }
  }
  const subjects = [`${prefix}.>`];
  const wanted: Partial<StreamConfig> = {};
  if (options.duplicateWindowMs !== undefined) wanted.duplicate_window = nanos(options.duplicateWindowMs);
  if (options.maxAgeMs !== undefined) wanted.max_age = nanos(options.maxAgeMs);
  if (options.replicas !== undefined) wanted.num_replicas = options.replicas;

  let info = await streamInfo(bus, name);
  let created = false;
  let updated = false;
  if (!info) {
    try {
      info = await bus.manager.streams.add({
        name,
        subjects,
        storage: StorageType.File,
        retention: RetentionPolicy.Limits,
        discard: DiscardPolicy.Old,
        duplicate_window: nanos(DEFAULT_DUPLICATE_WINDOW_MS),
        max_age: nanos(DEFAULT_MAX_AGE_MS),
        num_replicas: 1,
        ...wanted,
      });
      created = true;
    } catch (error) {
      // Another replica created it first: fine, check that one.
      if (apiCode(error) === NAME_IN_USE) info = await streamInfo(bus, name);
      if (!info) throw streamError(name, prefix, 'could not be created', error);
    }
  }
  if (!created) {
    checkCompatible(info, name, prefix, subjects);
    const changes = Object.entries(wanted).filter(
      ([key, value]) => (info!.config as unknown as Record<string, unknown>)[key] !== value,
    );
    if (changes.length > 0) {
      try {
        info = await bus.manager.streams.update(name, Object.fromEntries(changes));
        updated = true;
      } catch (error) {
        throw streamError(name, prefix, 'could not be updated', error);
      }
    }
  }
  return {
    stream: name,
    subjectPrefix: prefix,
    subjects: [...(info.config.subjects ?? [])],
    duplicateWindowMs: Math.round(info.config.duplicate_window / 1e6),
    maxAgeMs: Math.round(info.config.max_age / 1e6),
    replicas: info.config.num_replicas,
    messages: info.state.messages,
    created,
    updated,
  };
}

async function streamInfo(bus: Bus, name: string): Promise<StreamInfo | undefined> {
  try {
    return await bus.manager.streams.info(name);
  } catch (error) {
    if (apiCode(error) === JetStreamApiCodes.StreamNotFound) return undefined;
    throw error;
  }
}

function checkCompatible(info: StreamInfo, name: string, prefix: string, subjects: string[]): void {
  const have = [...(info.config.subjects ?? [])].sort();
  if (have.length !== subjects.length || have.some((subject, i) => subject !== subjects[i])) {
    throw new ConfigError(
      `The JetStream stream ${name} exists with subjects ${have.join(', ') || '(none)'}; the event stream needs exactly ${subjects.join(', ')}.`,
      {
        hint: `Use another stream name, or the subject prefix that stream was made for (now "${prefix}").`,
      },
    );
  }
  if (info.config.retention !== RetentionPolicy.Limits) {
    throw new ConfigError(
      `The JetStream stream ${name} has ${info.config.retention} retention; the event stream needs limits retention.`,
      { hint: 'Several consumers read the same events: use another stream name, or recreate that stream.' },
    );
  }
}

function streamError(name: string, prefix: string, what: string, error: unknown): Error {
  const code = apiCode(error);
  if (code === SUBJECTS_OVERLAP) {
    return new ConfigError(`The event stream ${name} ${what}: another stream already takes ${prefix}.>.`, {
      hint: 'Use that stream (its name as the stream setting) or another subject prefix.',
      cause: error,
    });
  }
  if (code !== undefined) {
    return new ConfigError(`The event stream ${name} ${what}: ${(error as Error).message}.`, {
      hint: 'Check the stream settings (replicas above the cluster size, a duplicate window above max age).',
      cause: error,
    });
  }
  return error instanceof Error ? error : new Error(String(error));
}

function apiCode(error: unknown): number | undefined {
  return error instanceof JetStreamApiError ? error.code : undefined;
}
