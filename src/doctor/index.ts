/** `switchboard doctor`: checks a configuration against the org before the first `listen`. */
export { formatReport, reportJson } from './format.js';
export type { DoctorInput } from './plan.js';
export { runDoctor } from './run.js';
export type { CheckResult, CheckStatus, DoctorOptions, DoctorReport } from './types.js';
