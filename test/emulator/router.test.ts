import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { platformError, Router } from '../../src/emulator/router.js';

const ok = () => ({ status: 200 });

describe('Router', () => {
  it('prefers literal segments over parameters and decodes parameters', () => {
    const router = new Router()
      .add('GET', '/api/v2/conversations/{conversationId}', ok)
      .add('GET', '/api/v2/conversations/messages', ok);
    const literal = router.match('GET', '/api/v2/conversations/messages');
    assert.ok(literal && 'route' in literal);
    assert.equal(literal.route.pattern, '/api/v2/conversations/messages');
    const param = router.match('get', '/api/v2/conversations/a%20b');
    assert.ok(param && 'route' in param);
    assert.deepEqual(param.params, { conversationId: 'a b' });
  });

  it('reports the allowed methods for a known path and nothing for an unknown one', () => {
    const router = new Router().add('POST', '/api/v2/notifications/channels', ok);
    assert.deepEqual(router.match('DELETE', '/api/v2/notifications/channels'), { allowed: ['POST'] });
    assert.equal(router.match('GET', '/api/v2/conversations/webchat'), undefined);
  });

  it('builds errors in the platform shape', () => {
    const response = platformError(404, 'not.found', 'Resource not found');
    assert.equal(response.status, 404);
    assert.deepEqual(Object.keys(response.body as object).sort(), [
      'code',
      'contextId',
      'details',
      'errors',
      'message',
      'messageParams',
      'status',
    ]);
  });
});
