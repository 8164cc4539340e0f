/**
 * The coordination store: a key/value bucket whose every entry expires a fixed time after its last write (NATS
 * KV with a bucket-wide TTL — nats-server 2.9 has no per-key TTL). Leases are entries created only if absent and
 * renewed only at the revision last seen, so two replicas can never both believe they hold one.
 */

import { type KV, Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { ConfigError } from '../errors.js';

/** An entry and its revision (a sequence number of the bucket, increasing with every write). */
export interface KvRecord<T> {
  value: T;
  revision: number;
}

/** What coordination needs from the store. Every operation may throw when the store cannot be reached. */
export interface CoordinationKv {
  /** Time after the last write at which an entry vanishes. */
  readonly ttlMs: number;
  get<T>(key: string): Promise<KvRecord<T> | undefined>;
  /** Writes the entry if the key is absent; the new revision, or undefined when the key exists. */
  create<T>(key: string, value: T): Promise<number | undefined>;
  /** Writes the entry if its revision is still `revision`; the new revision, or undefined when it moved. */
  update<T>(key: string, value: T, revision: number): Promise<number | undefined>;
  /** Writes unconditionally; the new revision. */
  put<T>(key: string, value: T): Promise<number>;
  /** Deletes the entry (only at `revision`, when given); false when the revision moved. */
  delete(key: string, revision?: number): Promise<boolean>;
  /** Keys starting with `prefix` (e.g. `member.`). */
  keys(prefix: string): Promise<string[]>;
}

/** The error a conditional write gets when the expected revision is not the current one. */
function isRevisionConflict(error: unknown): boolean {
  const message = (error as Error | undefined)?.message ?? '';
  return /wrong last sequence|key exists/i.test(message);
}

/** {@link CoordinationKv} on a NATS KV bucket. */
export class NatsCoordinationKv implements CoordinationKv {
  private constructor(
    private readonly kv: KV,
    readonly ttlMs: number,
  ) {}

  /**
   * Opens (creating if needed) the bucket with a bucket-wide TTL. Every replica must use the same TTL: a bucket
   * that exists with another one is refused rather than silently changing every lease's life.
   */
  static async open(
    connection: NatsConnection,
    options: { bucket: string; ttlMs: number },
  ): Promise<NatsCoordinationKv> {
    const kvm = new Kvm(connection);
    const kv = await kvm.create(options.bucket, { ttl: options.ttlMs, history: 1 });
    const status = await kv.status();
    if (Math.abs(status.ttl - options.ttlMs) > 1) {
      throw new ConfigError(
        `The coordination bucket ${options.bucket} has a TTL of ${status.ttl} ms, but this replica is set to ${options.ttlMs} ms.`,
        {
          hint: 'Give every replica the same cluster.leaseTtl, or delete the bucket (it holds only leases) while all replicas are stopped.',
        },
      );
    }
    return new NatsCoordinationKv(kv, options.ttlMs);
  }

  /** Opens a bucket that must already exist (to look at a replica set without creating anything); undefined if not. */
  static async existing(connection: NatsConnection, bucket: string): Promise<NatsCoordinationKv | undefined> {
    const kvm = new Kvm(connection);
    try {
      const kv = await kvm.open(bucket);
      const status = await kv.status();
      return new NatsCoordinationKv(kv, status.ttl);
    } catch (error) {
      if (/not found|does not exist/i.test((error as Error).message)) return undefined;
      throw error;
    }
  }

  async get<T>(key: string): Promise<KvRecord<T> | undefined> {
    const entry = await this.kv.get(key);
    if (entry?.operation !== 'PUT') return undefined;
    return { value: entry.json<T>(), revision: entry.revision };
  }

  async create<T>(key: string, value: T): Promise<number | undefined> {
    try {
      return await this.kv.create(key, JSON.stringify(value));
    } catch (error) {
      if (isRevisionConflict(error)) return undefined;
      throw error;
    }
  }

  async update<T>(key: string, value: T, revision: number): Promise<number | undefined> {
    try {
      return await this.kv.update(key, JSON.stringify(value), revision);
    } catch (error) {
      if (isRevisionConflict(error)) return undefined;
      throw error;
    }
  }

  put<T>(key: string, value: T): Promise<number> {
    return this.kv.put(key, JSON.stringify(value));
  }

  async delete(key: string, revision?: number): Promise<boolean> {
    try {
      await this.kv.delete(key, revision === undefined ? undefined : { previousSeq: revision });
      return true;
    } catch (error) {
      if (isRevisionConflict(error)) return false;
      throw error;
    }
  }

  async keys(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    for await (const key of await this.kv.keys(`${prefix}>`)) keys.push(key);
    return keys;
  }
}

/** A key-safe form of an id (NATS KV keys take letters, digits and `-_=/.`). */
export function kvSafe(id: string): string {
  return id.replace(/[^A-Za-z0-9_=-]/g, '_');
}
