import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../../src/errors.js';
import {
  DEFAULT_POLICY,
  defineRules,
  loadRulesFile,
  parseRules,
  type RuleIssue,
  RulesValidationError,
} from '../../../src/proactive/index.js';

function issuesOf(run: () => unknown): RuleIssue[] {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof RulesValidationError, `expected RulesValidationError, got ${String(error)}`);
    assert.ok(error instanceof ConfigError);
    assert.equal(error.code, 'config_invalid');
    return error.issues;
  }
  assert.fail('expected the rules to be refused');
}

const VALID = `
rules:
  - id: thanks
    trigger: { event: conversation.wrapup, messageType: webmessaging, wrapupCode: Resolved }
    channels: [open, sms]
    message: { text: "Hi {{contact.firstName | 'there'}}" }
`;

describe('rules files', () => {
  it('reports every problem with file, line, column, rule and field', () => {
    const text = [
      'settings:',
      '  timeZone: Mars/Olympus',
      'rules:',
      '  - id: win-back',
      '    trigger:',
      '      event: conversation.wrapped',
      '    chanels: [sms]',
      '    channels: [sms, email]',
      '    message:',
      '      text: "Hi"',
      '  - id: sweep',
      '    trigger:',
      '      schedule: { every: 1h, lookback: seven days }',
      '    channels: [sms]',
      '    message: { text: hi }',
    ].join('\n');
    const issues = issuesOf(() => parseRules(text, 'rules.yaml'));
    const by = (path: string) => issues.find((i) => i.path.join('.') === path);

    const event = by('rules.0.trigger.event');
    assert.equal(event?.file, 'rules.yaml');
    assert.equal(event?.line, 6);
    assert.equal(event?.column, 14);
    assert.equal(event?.ruleId, 'win-back');
    assert.match(
      event?.message ?? '',
      /expected one of .*"conversation\.wrapup".*\(got "conversation\.wrapped"\)/,
    );

    const unknown = by('rules.0.chanels');
    assert.deepEqual([unknown?.line, unknown?.column], [7, 5]);
    assert.equal(unknown?.message, 'unknown field "chanels" (did you mean "channels"?)');

    const channel = by('rules.0.channels.1');
    assert.equal(channel?.line, 8);
    assert.match(channel?.message ?? '', /"webmessaging-reply"\|"webmessaging" \(got "email"\)/);

    const lookback = by('rules.1.trigger.schedule.lookback');
    assert.equal(lookback?.ruleId, 'sweep');
    assert.equal(lookback?.line, 13);
    assert.match(lookback?.message ?? '', /expected a duration such as "7d"/);
    // Sorted by position in the file.
    assert.deepEqual(
      issues.map((i) => i.line),
      [...issues.map((i) => i.line)].sort((a, b) => (a ?? 0) - (b ?? 0)),
    );
  });

  it('checks what spans fields once the shape is right', () => {
    const text = `
settings:
  timeZone: Mars/Olympus
rules:
  - id: a
    trigger: { event: conversation.started, wrapupCode: Resolved }
    channels: [sms, sms]
    message: { text: "Hi {{contact.nickname}}" }
  - id: a
    trigger: { event: conversation.ended, schedule: { every: 1h, lookback: 7d } }
    channels: [sms]
    message: { text: "{{contact.firstName" }
    policy: { quietHours: { start: "22:00", end: "22:00" } }
`;
    const messages = issuesOf(() => parseRules(text, 'r.yaml')).map(
      (i) => `${i.line} ${i.ruleId ?? '-'} ${i.message}`,
    );
    assert.deepEqual(messages, [
      '3 - "Mars/Olympus" is not an IANA time zone (e.g. "Europe/Dublin", "America/New_York", "UTC")',
      '6 a a wrap-up code filter needs event "conversation.wrapup" (got "conversation.started")',
      '7 a channel "sms" is listed twice',
      `8 a unknown variable {{contact.nickname}}; known: ${messages[3]!.split('known: ')[1]}`,
      '9 a duplicate rule id; rules[0] already uses it',
      '10 a expected exactly one of "event" (a lifecycle event) or "schedule" (a periodic sweep)',
      '12 a a "{{" or "}}" is not part of a valid placeholder such as {{contact.firstName}}',
      '13 a start and end are equal: the window would be empty',
    ]);
  });

  it('reports YAML syntax errors with their line', () => {
    const issues = issuesOf(() => parseRules('rules:\n  - id: a\n   bad: [', 'broken.yaml'));
    assert.equal(issues[0]?.file, 'broken.yaml');
    assert.ok((issues[0]?.line ?? 0) >= 2);
    assert.match(issues[0]?.message ?? '', /^not valid YAML/);
  });

  it('says which required field is missing', () => {
    const issues = issuesOf(() =>
      parseRules('rules:\n  - id: a\n    trigger: { event: conversation.ended }\n'),
    );
    assert.deepEqual(
      issues.map((i) => `${i.path.join('.')}: ${i.message}`),
      ['rules.0.channels: required field is missing', 'rules.0.message: required field is missing'],
    );
    assert.equal(issues[0]?.line, 2);
  });

  it('normalises a valid file: defaults, lists, milliseconds', () => {
    const set = parseRules(VALID);
    const rule = set.rules[0]!;
    assert.deepEqual(rule.trigger, {
      kind: 'event',
      event: 'conversation.wrapup',
      messageType: ['webmessaging'],
      wrapupCode: ['Resolved'],
    });
    assert.deepEqual(rule.policy, DEFAULT_POLICY);
    assert.deepEqual(rule.history, { withinDays: 30, minConversations: 0 });
    assert.equal(set.settings.sendsPerMinute, 30);
    assert.equal(set.settings.reconcile.graceMs, 600_000);
    assert.deepEqual(set.warnings, []);
  });

  it('applies the same checks to rules given in TypeScript', () => {
    const issues = issuesOf(() =>
      defineRules({
        rules: [
          {
            id: 'ts',
            trigger: { event: 'conversation.ended' },
            channels: ['webmessaging'],
            message: { text: 'x' },
            policy: { cooldown: 'soon' },
          },
        ],
      }),
    );
    assert.deepEqual(
      issues.map((i) => [i.ruleId, i.path.join('.'), i.line]),
      [['ts', 'rules.0.policy.cooldown', undefined]],
    );
    const set = defineRules({
      defaults: { quietHours: false, dailyCap: 2 },
      rules: [
        {
          id: 'ok',
          trigger: { event: 'conversation.ended' },
          channels: ['webmessaging'],
          message: { text: 'x' },
        },
      ],
    });
    assert.equal(set.rules[0]!.policy.quietHours, undefined);
    assert.equal(set.rules[0]!.policy.dailyCap, 2);
    assert.match(set.warnings[0] ?? '', /with no other channel this rule can only skip/);
  });

  it('loads the example rules file without errors', () => {
    const set = loadRulesFile('examples/rules.yaml');
    assert.deepEqual(
      set.rules.map((r) => r.id),
      ['thanks-after-resolved-chat', 'welcome-back', 'weekly-follow-up'],
    );
    assert.equal(set.source, 'examples/rules.yaml');
  });

  it('names the file it cannot read', () => {
    assert.throws(
      () => loadRulesFile('does/not/exist.yaml'),
      /Cannot read rules file does\/not\/exist\.yaml/,
    );
  });
});
