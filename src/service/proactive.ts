/** The proactive engine wired for the service: rules from the config's file, the store's ledger, the stream's events. */
import { loadRulesFile, ProactiveEngine } from '../proactive/index.js';
import { ledgerOf } from '../store/index.js';
import type { ProactiveRuntime, ProactiveRuntimeFactory } from './proactive-runtime.js';

/** Loads and validates the rules (throwing before anything connects) and builds the engine. */
export const createProactiveRuntime: ProactiveRuntimeFactory = (input): ProactiveRuntime => {
  const { config } = input;
  const rules = loadRulesFile(config.rulesPath);
  const engine = new ProactiveEngine({
    rules,
    client: input.platform,
    ledger: ledgerOf(input.store),
    logger: input.logger.child({ component: 'proactive' }),
    dryRun: config.dryRun,
    ...(input.sendingStaleMs ? { sendingStaleMs: input.sendingStaleMs } : {}),
    onDecision: (decision) =>
      input.onDecision({
        ruleId: decision.ruleId,
        customerId: decision.customerId,
        status: decision.status,
        ...(decision.channel ? { channel: decision.channel } : {}),
        ...(decision.reasonCode ? { reasonCode: decision.reasonCode } : {}),
        ...(decision.reason ? { reason: decision.reason } : {}),
        ...(decision.entryId !== undefined ? { entryId: decision.entryId } : {}),
        ...(decision.dryRun ? { dryRun: true } : {}),
      }),
  });
  return {
    summary: () => ({
      enabled: true,
      dryRun: config.dryRun,
      rules: rules.rules.filter((rule) => rule.enabled).length,
      rulesFile: config.rulesPath,
      stoppedRules: [...engine.stoppedRules].map(([ruleId, reason]) => ({ ruleId, reason })),
    }),
    run: (events, signal, options) =>
      engine.run({
        events,
        signal,
        ...(options?.onEventSettled ? { onEventSettled: options.onEventSettled } : {}),
        ...(config.dueCheckMs === undefined ? {} : { dueCheckMs: config.dueCheckMs }),
      }),
  };
};
