/**
 * genesys-switchboard/emulator: a local Genesys Cloud — OAuth, REST and the notification WebSocket on one origin,
 * an emulated org with traffic and history, and fault injection — for tests, demos and benchmarks without an
 * account. Point the platform client at `emulator.url` as its region.
 */
export {
  type ClientDefinition,
  DEFAULT_CLIENT,
  type Emulator,
  type EmulatorSettings,
  type EmulatorStatus,
  type FaultCommand,
  type FaultResult,
  PROFILES,
  type ProfileName,
  type StartEmulatorOptions,
  startEmulator,
  type World,
  type WorldFactory,
  type WorldSettings,
} from '../emulator/index.js';
export {
  type Clock,
  type ConversationScript,
  type GroundTruthFact,
  ManualClock,
} from '../emulator/world/index.js';
