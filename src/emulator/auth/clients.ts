/**
 * OAuth clients the emulator accepts. One demo client with every permission is always there, so that a fresh
 * emulator works out of the box; tests add clients with narrower roles to exercise 403s.
 */
import { ConfigError } from '../../errors.js';

/** A client-credentials OAuth client and the permissions its roles grant. */
export interface ClientDefinition {
  clientId: string;
  clientSecret: string;
  /** Permission strings; `*` grants all. */
  permissions: string[];
  /** Display name (token info). */
  name?: string;
  /**
   * Makes this a user-context client: its tokens act as this user (as a code-grant token or a bot's credential
   * would), so it can post into conversations where that user is a participant.
   */
  userId?: string;
}

export const DEFAULT_CLIENT: Readonly<ClientDefinition> = Object.freeze({
  clientId: 'switchboard-demo',
  clientSecret: 'switchboard-demo-secret',
  permissions: ['*'],
  name: 'Switchboard demo client',
});

/** A registered client with its permissions as a set, ready for checks. */
export interface RegisteredClient extends ClientDefinition {
  permissionSet: ReadonlySet<string>;
}

/** The clients the emulator knows, by id. */
export class ClientRegistry {
  private readonly clients = new Map<string, RegisteredClient>();

  constructor(definitions: readonly ClientDefinition[]) {
    for (const definition of definitions) this.add(definition);
  }

  /** Adds or replaces a client. */
  add(definition: ClientDefinition): RegisteredClient {
    if (!definition.clientId || !definition.clientSecret) {
      throw new ConfigError('An emulator client needs a non-empty client id and secret.');
    }
    const client: RegisteredClient = {
      ...definition,
      permissions: [...definition.permissions],
      permissionSet: new Set(definition.permissions),
    };
    this.clients.set(definition.clientId, client);
    return client;
  }

  get(clientId: string): RegisteredClient | undefined {
    return this.clients.get(clientId);
  }

  /** The client when id and secret match, else undefined. */
  authenticate(clientId: string, clientSecret: string): RegisteredClient | undefined {
    const client = this.clients.get(clientId);
    return client && client.clientSecret === clientSecret ? client : undefined;
  }

  list(): RegisteredClient[] {
    return [...this.clients.values()];
  }
}

/**
 * Parses the command-line form `id:secret[:perm,perm]` (no permission list means all permissions).
 * Permissions contain colons themselves, so everything after the second colon is the list.
 */
export function parseClientSpec(spec: string): ClientDefinition {
  const first = spec.indexOf(':');
  const second = first < 0 ? -1 : spec.indexOf(':', first + 1);
  if (first <= 0) {
    throw new ConfigError(`Client "${spec.split(':')[0]}" is not in the form id:secret[:perm,perm].`);
  }
  const clientId = spec.slice(0, first);
  const clientSecret = second < 0 ? spec.slice(first + 1) : spec.slice(first + 1, second);
  const list = second < 0 ? '*' : spec.slice(second + 1);
  const permissions = list
    .split(',')
    .map((permission) => permission.trim())
    .filter(Boolean);
  if (!clientSecret) throw new ConfigError(`Client "${clientId}" has an empty secret.`);
  return { clientId, clientSecret, permissions: permissions.length > 0 ? permissions : ['*'] };
}
