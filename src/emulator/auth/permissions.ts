/**
 * Permission checks as the platform does them: permissions are `domain:entity:action` strings granted through
 * roles, and a grant may use `*` for any part (`routing:*:*`, `routing:queue:*`, or `*` for everything).
 */

/** True when `granted` contains `required` itself or a wildcard grant that covers it. */
export function hasPermission(granted: ReadonlySet<string>, required: string): boolean {
  if (granted.has('*') || granted.has('*:*:*') || granted.has(required)) return true;
  const [domain, entity] = required.split(':');
  return granted.has(`${domain}:*:*`) || granted.has(`${domain}:${entity}:*`);
}

/** The permissions of `required` that `granted` lacks. */
export function missingPermissions(granted: ReadonlySet<string>, required: readonly string[]): string[] {
  return required.filter((permission) => !hasPermission(granted, permission));
}

/** True when at least one of `anyOf` is granted (an empty list asks for nothing). */
export function hasAnyPermission(granted: ReadonlySet<string>, anyOf: readonly string[]): boolean {
  return anyOf.length === 0 || anyOf.some((permission) => hasPermission(granted, permission));
}
