import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  hasAnyPermission,
  hasPermission,
  missingPermissions,
} from '../../../src/emulator/auth/permissions.js';

describe('emulator permissions', () => {
  it('grants exact permissions and wildcard grants, nothing else', () => {
    const granted = new Set(['routing:queue:view', 'analytics:*:*', 'conversation:message:*']);
    assert.equal(hasPermission(granted, 'routing:queue:view'), true);
    assert.equal(hasPermission(granted, 'routing:queue:edit'), false);
    assert.equal(hasPermission(granted, 'analytics:conversationDetail:view'), true);
    assert.equal(hasPermission(granted, 'conversation:message:create'), true);
    assert.equal(hasPermission(granted, 'conversation:communication:view'), false);
    assert.equal(hasPermission(new Set(['*']), 'anything:at:all'), true);
  });

  it('lists what is missing and checks any-of lists', () => {
    const granted = new Set(['routing:queue:view']);
    assert.deepEqual(missingPermissions(granted, ['routing:queue:view', 'routing:agent:view']), [
      'routing:agent:view',
    ]);
    assert.equal(hasAnyPermission(granted, []), true);
    assert.equal(hasAnyPermission(granted, ['a:b:c', 'routing:queue:view']), true);
    assert.equal(hasAnyPermission(granted, ['a:b:c']), false);
  });
});
