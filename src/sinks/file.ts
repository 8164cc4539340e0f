/**
 * The file sink: appends newline-delimited JSON events to a file, rotating by size (and optionally when the UTC
 * day changes). Rotation shifts `events.jsonl` → `events.jsonl.1` → `events.jsonl.2` … and keeps `keep` rotated
 * files. Each event line is written whole to one file: a file passes `maxBytes` only when a single line is larger.
 *
 * A process killed in the middle of a write can leave a last line cut short. The next run ends that line before it
 * appends, so the cut-off text stays a line of its own (readers skip a line that is not JSON) and never spoils the
 * next event; the event itself is written again whole, as it was never acknowledged.
 *
 *   file:./events.jsonl?maxBytes=10485760&keep=5&daily=true&fsync=batch
 *
 * Options: `maxBytes`, `keep`, `daily`, `fsync` (batch | close).
 */
import { type FileHandle, mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { text } from '../config/settings-schema.js';
import { ConfigError } from '../errors.js';
import type { LifecycleEvent } from '../events.js';
import { DeliveryError } from './errors.js';
import {
  COMMON_SINK_SETTINGS,
  type CommonSinkConfig,
  checkSpecOptions,
  flag,
  readCommonOptions,
  type SinkKind,
  splitSpec,
  wholeNumber,
} from './kind.js';
import { QueuedSink, type QueuedSinkOptions } from './queued-sink.js';
import type { SinkTransport } from './types.js';

/** Settings of the file sink. */
export interface FileSinkSettings {
  path: string;
  /** Rotate before a file would pass this size; 0 turns size rotation off. */
  maxBytes: number;
  /** Rotated files kept (`path.1` … `path.N`); 0 keeps none. */
  keep: number;
  /** Also rotate when the UTC date changes. */
  rotateDaily: boolean;
  /** fsync after every batch (slower, survives power loss); otherwise data is synced on flush and close. */
  syncEachBatch: boolean;
}

export const DEFAULT_FILE_SETTINGS: Omit<FileSinkSettings, 'path'> = {
  maxBytes: 100 * 1024 * 1024,
  keep: 5,
  rotateDaily: false,
  syncEachBatch: false,
};

/** Appends JSON lines to a rotating file. */
export class FileTransport implements SinkTransport {
  readonly kind = 'file';
  readonly target: string;
  readonly settings: FileSinkSettings;
  private handle: FileHandle | undefined;
  private size = 0;
  private day = '';

  constructor(
    settings: Partial<FileSinkSettings> & { path: string },
    private readonly now: () => number = Date.now,
  ) {
    this.settings = { ...DEFAULT_FILE_SETTINGS, ...settings };
    this.target = this.settings.path;
  }

  async deliver(events: readonly LifecycleEvent[]): Promise<void> {
    try {
      await this.appendLines(events);
    } catch (error) {
      // Disk full, permissions, a vanished directory: worth retrying, the operator may fix it.
      const code = (error as { code?: string }).code ?? 'io_error';
      throw new DeliveryError(`Writing ${this.target} failed: ${code}`, {
        retryable: true,
        code: 'file_error',
      });
    }
  }

  async flush(): Promise<void> {
    await this.handle?.datasync();
  }

  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    if (!handle) return;
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  private async appendLines(events: readonly LifecycleEvent[]): Promise<void> {
    const handle = await this.ensureOpen();
    if (this.settings.rotateDaily && this.size > 0 && utcDay(this.now()) !== this.day) await this.rotate();
    const { maxBytes } = this.settings;
    let pending: string[] = [];
    let pendingBytes = 0;
    for (const event of events) {
      const line = `${JSON.stringify(event)}\n`;
      const bytes = Buffer.byteLength(line);
      if (maxBytes > 0 && this.size + pendingBytes + bytes > maxBytes && this.size + pendingBytes > 0) {
        await this.write(pending.join(''), pendingBytes);
        pending = [];
        pendingBytes = 0;
        await this.rotate();
      }
      pending.push(line);
      pendingBytes += bytes;
    }
    if (pending.length > 0) await this.write(pending.join(''), pendingBytes);
    if (this.settings.syncEachBatch) await (this.handle ?? handle).datasync();
  }

  private async write(data: string, bytes: number): Promise<void> {
    if (bytes === 0) return;
    const handle = await this.ensureOpen();
    await handle.appendFile(data);
    this.size += bytes;
  }

  private async ensureOpen(): Promise<FileHandle> {
    if (this.handle) return this.handle;
    await mkdir(dirname(this.settings.path), { recursive: true });
    const handle = await open(this.settings.path, 'a+');
    const info = await handle.stat();
    this.size = info.size;
    if (info.size > 0) {
      const last = Buffer.alloc(1);
      await handle.read(last, 0, 1, info.size - 1);
      if (last[0] !== 0x0a) {
        await handle.appendFile('\n');
        this.size += 1;
      }
    }
    // An existing file belongs to the day it was last written.
    this.day = utcDay(info.size > 0 ? info.mtimeMs : this.now());
    this.handle = handle;
    return handle;
  }

  private async rotate(): Promise<void> {
    await this.close();
    const { path, keep } = this.settings;
    if (keep <= 0) {
      await rm(path, { force: true });
    } else {
      await rm(`${path}.${keep}`, { force: true });
      for (let i = keep - 1; i >= 1; i--) await renameIfExists(`${path}.${i}`, `${path}.${i + 1}`);
      await renameIfExists(path, `${path}.1`);
    }
    await this.ensureOpen();
    this.day = utcDay(this.now());
  }
}

async function renameIfExists(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (error) {
    if ((error as { code?: string }).code !== 'ENOENT') throw error;
  }
}

function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Options of {@link createFileSink}. */
export type FileSinkOptions = Omit<QueuedSinkOptions, 'transport' | 'name'> &
  Partial<FileSinkSettings> & { path: string; name?: string };

/** A sink appending newline-delimited JSON events to a rotating file, in order. */
export function createFileSink(options: FileSinkOptions): QueuedSink {
  const { path, maxBytes, keep, rotateDaily, syncEachBatch, name, ...rest } = options;
  const settings: Partial<FileSinkSettings> & { path: string } = { path };
  if (maxBytes !== undefined) settings.maxBytes = maxBytes;
  if (keep !== undefined) settings.keep = keep;
  if (rotateDaily !== undefined) settings.rotateDaily = rotateDaily;
  if (syncEachBatch !== undefined) settings.syncEachBatch = syncEachBatch;
  return new QueuedSink({
    ...rest,
    name: name ?? `file:${path}`,
    ordering: 'global',
    transport: new FileTransport(settings, options.now),
  });
}

/** The file sink described as data. */
export interface FileSinkConfig extends CommonSinkConfig, Partial<Omit<FileSinkSettings, 'path'>> {
  kind: 'file';
  path: string;
}

/** The `file` kind: `file:path[?maxBytes=&keep=&daily=&fsync=]`. */
export const fileSink: SinkKind<FileSinkConfig> = {
  kind: 'file',
  usage: 'file:path[?maxBytes=&keep=&daily=&fsync=]',
  options: ['maxBytes', 'keep', 'daily', 'fsync'],

  parseSpec(body) {
    const { target, params } = splitSpec(body);
    const shown = `file:${target}`;
    checkSpecOptions(params, fileSink, shown);
    if (target === '') {
      throw new ConfigError('The file sink needs a path.', { hint: 'For example: file:./events.jsonl' });
    }
    const config: FileSinkConfig = { kind: 'file', path: target, ...readCommonOptions(params, shown) };
    const maxBytes = wholeNumber(params, 'maxBytes', shown, 0);
    if (maxBytes !== undefined) config.maxBytes = maxBytes;
    const keep = wholeNumber(params, 'keep', shown, 0);
    if (keep !== undefined) config.keep = keep;
    const daily = params.get('daily');
    if (daily !== null) config.rotateDaily = flag(daily, 'daily', shown);
    const fsync = params.get('fsync');
    if (fsync !== null) {
      if (fsync !== 'batch' && fsync !== 'close') {
        throw new ConfigError(`${shown}: fsync must be "batch" or "close", got "${fsync}".`);
      }
      config.syncEachBatch = fsync === 'batch';
    }
    return config;
  },

  schema: z.strictObject({
    kind: z.literal('file'),
    path: text,
    maxBytes: z.number().int().nonnegative().optional(),
    keep: z.number().int().nonnegative().optional(),
    rotateDaily: z.boolean().optional(),
    syncEachBatch: z.boolean().optional(),
    ...COMMON_SINK_SETTINGS,
  }),

  resolvePaths: (config, local) => ({ ...config, path: local(config.path) }),
  defaultName: (config) => `file:${config.path}`,
  describe: (config) => `file ${config.path}`,

  create(config, basics) {
    const { path, maxBytes, keep, rotateDaily, syncEachBatch } = config;
    return createFileSink({
      ...basics,
      path,
      ...(maxBytes !== undefined ? { maxBytes } : {}),
      ...(keep !== undefined ? { keep } : {}),
      ...(rotateDaily !== undefined ? { rotateDaily } : {}),
      ...(syncEachBatch !== undefined ? { syncEachBatch } : {}),
    });
  },
};
