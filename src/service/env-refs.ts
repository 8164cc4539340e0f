/**
 * Environment references in a config file, so secrets never have to be written into it: a whole value
 * `env:NAME`, or `${NAME}` (also `${NAME:-default}`) anywhere inside a string.
 */

/** A reference that could not be filled: which variable, at which path of the document. */
export interface UnsetReference {
  path: Array<string | number>;
  variable: string;
}

const WHOLE = /^env:([A-Za-z_][A-Za-z0-9_]*)$/;
const INLINE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Returns a copy of `value` with every reference replaced from `env`. References to unset (or empty) variables are
 * collected in `unset` and left as an empty string, so every problem in a file is reported at once.
 */
export function fillEnvRefs(
  value: unknown,
  env: Record<string, string | undefined>,
  unset: UnsetReference[] = [],
  path: Array<string | number> = [],
): unknown {
  if (typeof value === 'string') return fillString(value, env, unset, path);
  if (Array.isArray(value))
    return value.map((item, index) => fillEnvRefs(item, env, unset, [...path, index]));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, fillEnvRefs(item, env, unset, [...path, key])]),
    );
  }
  return value;
}

function fillString(
  text: string,
  env: Record<string, string | undefined>,
  unset: UnsetReference[],
  path: Array<string | number>,
): string {
  const whole = WHOLE.exec(text);
  if (whole) {
    const variable = whole[1]!;
    const found = env[variable];
    if (found === undefined || found === '') unset.push({ path, variable });
    return found ?? '';
  }
  return text.replace(INLINE, (_match, variable: string, fallback: string | undefined) => {
    const found = env[variable];
    if (found !== undefined && found !== '') return found;
    if (fallback !== undefined) return fallback;
    unset.push({ path, variable });
    return '';
  });
}
