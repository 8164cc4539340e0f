import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  placeholders,
  renderTemplate,
  templateProblems,
  usesCostlyVariable,
} from '../../../src/proactive/rules/template.js';

describe('message templates', () => {
  it('fills variables and falls back when a value is missing', () => {
    const template =
      'Hi {{ contact.firstName | "there" }}, {{history.count}} chats; {{contact.lastName|friend}}';
    assert.deepEqual(renderTemplate(template, { 'contact.firstName': 'Ana', 'history.count': 3 }), {
      ok: true,
      text: 'Hi Ana, 3 chats; friend',
    });
    assert.deepEqual(renderTemplate(template, { 'contact.firstName': '', 'history.count': 0 }), {
      ok: true,
      text: 'Hi there, 0 chats; friend',
    });
  });

  it('reports variables that have neither a value nor a fallback', () => {
    assert.deepEqual(renderTemplate('Hi {{contact.firstName}} {{contact.lastName}}', {}), {
      ok: false,
      missing: ['contact.firstName', 'contact.lastName'],
    });
  });

  it('finds unknown variables and stray braces', () => {
    assert.deepEqual(templateProblems('Hi {{contact.firstName}}'), []);
    assert.match(
      templateProblems('Hi {{contact.nick}}')[0] ?? '',
      /^unknown variable \{\{contact\.nick\}\}; known: contact\.id/,
    );
    assert.equal(templateProblems('Hi {{contact.firstName').length, 1);
    assert.deepEqual(
      placeholders("{{a.b | 'x y'}}").map((p) => [p.variable, p.fallback]),
      [['a.b', 'x y']],
    );
  });

  it('knows which templates need message text from the platform', () => {
    assert.equal(usesCostlyVariable('You wrote: {{history.lastCustomerMessage}}'), true);
    assert.equal(usesCostlyVariable('Hi {{contact.firstName}}'), false);
  });
});
