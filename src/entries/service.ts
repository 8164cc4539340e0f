/**
 * genesys-switchboard/service: the whole Switchboard process as `switchboard run` starts it — the stream, its
 * sinks, the proactive engine and the HTTP server (health, metrics, dashboard) from one config file — and the demo
 * that runs it against the emulator.
 */
export { type LoadServiceConfigOptions, loadServiceConfig, type ServiceConfig } from '../service/config.js';
export { type Demo, type DemoOptions, startDemo } from '../service/demo.js';
export { createProactiveRuntime } from '../service/proactive.js';
export { type Service, type StartServiceOptions, startService } from '../service/service.js';
