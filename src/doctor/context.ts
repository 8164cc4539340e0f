/** What the checks share while doctor runs: the plan, the prober, the permissions learnt and a few facts. */
import type { PermissionEvidence } from './permissions.js';
import type { Prober } from './probe.js';
import type { DoctorOptions, DoctorPlan, LeftBehindChannel } from './types.js';

/** A queue as the listing shows it (the fields doctor reads). */
export interface QueueSample {
  id: string;
  name?: string;
  divisionId?: string;
  divisionName?: string;
}

/** Facts one check learns and a later one uses. */
export interface DoctorFacts {
  /** The first page of the queues the client sees, and how many there are in all. */
  queues?: { sample: QueueSample[]; total: number };
  /** The queues the selection names that were found (by id or name). */
  namedQueues?: QueueSample[];
  /** How many users the client sees, and one of them (for a probe topic). */
  users?: { total: number; firstId?: string };
  /** `expires_in` of the token the login check obtained. */
  tokenLifetimeSeconds?: number;
  leftBehind: LeftBehindChannel[];
}

export interface DoctorContext {
  plan: DoctorPlan;
  options: DoctorOptions;
  prober: Prober;
  evidence: PermissionEvidence;
  facts: DoctorFacts;
}
