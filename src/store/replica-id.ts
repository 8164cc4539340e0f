/**
 * The name a process goes by in a shared store: recorded as the claimer of the sends it claims and as the picker of
 * the due entries it takes, so that an operator can tell which replica did what.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/** `hostname-pid-random`: unique per process start, readable in a ledger listing. */
export function defaultReplicaId(): string {
  return `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
}
