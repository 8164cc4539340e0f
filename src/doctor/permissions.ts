/**
 * Permissions as doctor learns them. A client-credentials token cannot list its own permissions, so each is
 * inferred from a call that needs it: a 403 shows it missing, another answer is read as held — but only
 * for a call that needs that one permission (a call satisfied by any of two proves neither). What the platform's
 * definitions say an operation requires is the source of every permission name doctor prints.
 */
import { operationFor } from '../definitions/index.js';

/** What is known about one permission, and which call showed it. */
export interface PermissionFinding {
  held: boolean;
  via: string;
}

/** Findings shared between checks (the topic check reads what the REST checks found). */
export class PermissionEvidence {
  private readonly findings = new Map<string, PermissionFinding>();

  record(permission: string, held: boolean, via: string): void {
    this.findings.set(permission.toLowerCase(), { held, via });
  }

  get(permission: string): PermissionFinding | undefined {
    return this.findings.get(permission.toLowerCase());
  }
}

/** The permissions an operation requires, per the platform's definitions: all of `all`, or one of `any`. */
export function requiredPermissions(method: string, pathPattern: string): { all: string[]; any: string[] } {
  const operation = operationFor(method, pathPattern);
  if (!operation) throw new Error(`The platform definitions have no operation ${method} ${pathPattern}`);
  return { all: operation.permissions.all ?? [], any: operation.permissions.any ?? [] };
}

/** The permissions a call proves held or missing on its own: one required permission, or an `all` list. */
export function provablePermissions(required: { all: string[]; any: string[] }): string[] {
  if (required.all.length > 0) return required.all;
  return required.any.length === 1 ? required.any : [];
}

/** The sentence that says what to grant, and where. `anyOf` when one of several is enough. */
export function grantFix(permissions: readonly string[], clientId: string, anyOf = false): string {
  const list =
    permissions.length === 1
      ? `permission ${permissions[0]}`
      : anyOf
        ? `one of the permissions ${permissions.join(', ')}`
        : `the permissions ${permissions.join(', ')}`;
  return (
    `Add ${list} to a role of OAuth client ${clientId} (Admin > Roles / Permissions), and make sure the client ` +
    'holds that role on the divisions of the objects it reads (Admin > Integrations > OAuth > the client > Roles).'
  );
}
