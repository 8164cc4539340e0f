#!/usr/bin/env node
// Extracts the part of Genesys Cloud's published API definition that Switchboard speaks — the operations the
// emulator serves, the notification topics it publishes, and every model they reach — from Genesys's generated
// Python SDK, into definitions/platform-api.json.
//
// Why the Python SDK: Genesys generates every SDK from one API definition. The JavaScript SDK carries fields and
// required-ness but no enum values; the Python SDK's models carry the enums (`allowed_values`), its API modules the
// real query parameter names, and its docs the required fields, the query parameter enums and the permissions.
//
// The emulator validates requests against the result (src/definitions) and the conformance suite (test/conformance)
// checks every answer and notification against it.
//
// Usage:
//   git clone https://github.com/MyPureCloud/platform-client-sdk-python
//   node scripts/extract-platform-definitions.mjs --sdk ./platform-client-sdk-python [--commit <sha>] [--out <file>]
//
// --sdk takes a clone with a work tree or a bare repository; files are read at --commit (default HEAD).
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** What Switchboard needs: operations by method and path, notification topics by pattern, extra models. */
export const WANTED = {
  operations: [
    // OAuth-adjacent and org
    ['GET', '/api/v2/tokens/me'],
    ['DELETE', '/api/v2/tokens/me'],
    ['GET', '/api/v2/users'],
    ['GET', '/api/v2/users/{userId}'],
    ['GET', '/api/v2/routing/queues'],
    ['GET', '/api/v2/routing/queues/{queueId}'],
    ['GET', '/api/v2/routing/wrapupcodes'],
    ['GET', '/api/v2/routing/wrapupcodes/{codeId}'],
    ['GET', '/api/v2/routing/sms/phonenumbers'],
    ['GET', '/api/v2/organizations/limits/namespaces/{namespaceName}'],
    ['GET', '/api/v2/authorization/divisions'],
    // Notifications
    ['POST', '/api/v2/notifications/channels'],
    ['GET', '/api/v2/notifications/channels'],
    ['HEAD', '/api/v2/notifications/channels/{channelId}'],
    ['GET', '/api/v2/notifications/channels/{channelId}/subscriptions'],
    ['POST', '/api/v2/notifications/channels/{channelId}/subscriptions'],
    ['PUT', '/api/v2/notifications/channels/{channelId}/subscriptions'],
    ['DELETE', '/api/v2/notifications/channels/{channelId}/subscriptions'],
    ['GET', '/api/v2/notifications/availabletopics'],
    // Conversations and messaging
    ['GET', '/api/v2/conversations/{conversationId}'],
    ['GET', '/api/v2/conversations/messages/{conversationId}'],
    ['POST', '/api/v2/conversations/messages/{conversationId}/messages/bulk'],
    ['POST', '/api/v2/conversations/messages/{conversationId}/communications/{communicationId}/messages'],
    ['POST', '/api/v2/conversations/messages/agentless'],
    ['GET', '/api/v2/conversations/messaging/integrations/open'],
    ['GET', '/api/v2/conversations/messaging/integrations/open/{integrationId}'],
    ['GET', '/api/v2/conversations/messaging/integrations/whatsapp'],
    ['GET', '/api/v2/conversations/messaging/integrations/whatsapp/{integrationId}'],
    // Analytics
    ['POST', '/api/v2/analytics/conversations/details/query'],
    ['GET', '/api/v2/analytics/conversations/details'],
    ['GET', '/api/v2/analytics/conversations/{conversationId}/details'],
    // External contacts
    ['GET', '/api/v2/externalcontacts/contacts/{contactId}'],
    ['POST', '/api/v2/externalcontacts/identifierlookup/contacts'],
  ],
  topics: [
    'v2.routing.queues.{id}.conversations',
    'v2.routing.queues.{id}.conversations.calls',
    'v2.routing.queues.{id}.conversations.callbacks',
    'v2.routing.queues.{id}.conversations.chats',
    'v2.routing.queues.{id}.conversations.emails',
    'v2.routing.queues.{id}.conversations.messages',
    'v2.routing.queues.{id}.conversations.videos',
    'v2.routing.queues.{id}.conversations.socialexpressions',
    'v2.routing.queues.{id}.conversations.cobrowseSessions',
    'v2.routing.queues.{id}.conversations.screenshares',
    'v2.users.{id}.conversations',
    'v2.users.{id}.conversations.calls',
    'v2.users.{id}.conversations.callbacks',
    'v2.users.{id}.conversations.chats',
    'v2.users.{id}.conversations.emails',
    'v2.users.{id}.conversations.messages',
    'v2.users.{id}.conversations.videos',
    'v2.users.{id}.conversations.socialexpressions',
    'v2.users.{id}.conversations.cobrowseSessions',
    'v2.users.{id}.conversations.screenshares',
    'v2.system.socket_closing',
    'v2.system.no_longer_subscribed.{id}',
    'v2.system.token_revoked.{id}',
    'v2.detail.events.conversation.{id}.customer.start',
    'v2.detail.events.conversation.{id}.customer.end',
    'v2.detail.events.conversation.{id}.acd.start',
    'v2.detail.events.conversation.{id}.acd.end',
    'v2.detail.events.conversation.{id}.user.start',
    'v2.detail.events.conversation.{id}.user.end',
    'v2.detail.events.conversation.{id}.acw',
    'v2.detail.events.conversation.{id}.wrapup',
    'v2.detail.events.conversation.{id}.flow.start',
    'v2.detail.events.conversation.{id}.flow.end',
    'v2.detail.events.conversation.{id}.flow.outcome',
    'v2.detail.events.conversation.{id}.voicemail.start',
    'v2.detail.events.conversation.{id}.voicemail.end',
    'v2.detail.events.conversation.{id}.attributes',
    'v2.detail.events.conversation.{id}.contact',
    'v2.detail.events.conversation.{id}.outbound',
  ],
  // The body of every REST error.
  models: ['ErrorBody'],
};

const PRIMITIVES = new Set(['str', 'int', 'float', 'bool', 'datetime', 'date', 'object', 'file']);

function parseArgs(argv) {
  const args = { commit: 'HEAD', out: join(here, '..', 'definitions', 'platform-api.json') };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (flag === '--sdk') args.sdk = value;
    else if (flag === '--commit') args.commit = value;
    else if (flag === '--out') args.out = value;
    else throw new Error(`unknown argument ${flag}`);
    i++;
  }
  if (!args.sdk)
    throw new Error('--sdk <path to a clone of MyPureCloud/platform-client-sdk-python> is required');
  return args;
}

/** Reads files of the SDK repository at one commit. */
function repositoryReader(dir, commit) {
  const git = (...args) =>
    execFileSync('git', ['-C', dir, ...args], { maxBuffer: 64 << 20 }).toString('utf8');
  const sha = git('rev-parse', `${commit}^{commit}`).trim();
  const listing = new Set(git('ls-tree', '-r', '--name-only', sha).split('\n').filter(Boolean));
  const cache = new Map();
  return {
    sha,
    has: (path) => listing.has(path),
    list: (prefix) => [...listing].filter((p) => p.startsWith(prefix)),
    read(path) {
      if (!cache.has(path)) cache.set(path, git('show', `${sha}:${path}`));
      return cache.get(path);
    },
  };
}

const MODELS_DIR = 'build/PureCloudPlatformClientV2/models';
const APIS_DIR = 'build/PureCloudPlatformClientV2/apis';
const DOCS_DIR = 'build/docs';

/** Class name → python module file, from the models package's `__init__.py`. */
function modelFiles(repo) {
  const files = new Map();
  for (const m of repo.read(`${MODELS_DIR}/__init__.py`).matchAll(/^from \.(\w+) import (\w+)$/gm)) {
    files.set(m[2], `${MODELS_DIR}/${m[1]}.py`);
  }
  return files;
}

/** Parses a python dict literal of string → string (`swagger_types`, `attribute_map`). */
function pythonStringDict(source, name) {
  const start = source.indexOf(`self.${name} = {`);
  if (start < 0) return new Map();
  const end = source.indexOf('}', start);
  const body = source.slice(start, end);
  const out = new Map();
  for (const m of body.matchAll(/'([^']+)':\s*'([^']*)'/g)) out.set(m[1], m[2]);
  return out;
}

/** `allowed_values` of each setter, by python attribute name. */
function allowedValues(source) {
  const out = new Map();
  const setters = source.split(/\n\s*@(\w+)\.setter\n/);
  for (let i = 1; i < setters.length; i += 2) {
    const attribute = setters[i];
    const body = setters[i + 1].split(/\n\s*@property\n|\n\s*def to_dict\(/)[0];
    const m = /allowed_values = (\[[^\]]*\])/.exec(body);
    if (m) out.set(attribute, JSON.parse(m[1]));
  }
  return out;
}

/** Required python attribute names from the model's doc page: rows without `[optional]`. */
function requiredFromDoc(repo, className) {
  const path = `${DOCS_DIR}/${className}.md`;
  if (!repo.has(path)) return undefined;
  const required = new Set();
  for (const line of repo.read(path).split('\n')) {
    const m = /^\| \*\*(\w+)\*\* \|/.exec(line);
    if (m && !line.includes('[optional]')) required.add(m[1]);
  }
  return required;
}

/** Model names referenced by a python type expression (`list[Participant]`, `dict(str, Foo)`). */
function referencedModels(type) {
  return type
    .replace(/list\[|dict\(str, |\]|\)/g, ' ')
    .split(/\s+/)
    .filter((t) => t && !PRIMITIVES.has(t));
}

function extractModel(repo, files, className) {
  const file = files.get(className);
  if (!file) throw new Error(`model ${className} is not in the SDK`);
  const source = repo.read(file);
  const types = pythonStringDict(source, 'swagger_types');
  const names = pythonStringDict(source, 'attribute_map');
  const enums = allowedValues(source);
  const requiredPython = requiredFromDoc(repo, className) ?? new Set();
  const properties = {};
  const required = [];
  for (const [attribute, type] of types) {
    const json = names.get(attribute) ?? attribute;
    const property = { type };
    if (enums.has(attribute)) property.enum = enums.get(attribute);
    properties[json] = property;
    if (requiredPython.has(attribute)) required.push(json);
  }
  return { properties, required };
}

/** Every `Wraps METHOD PATH` section of the API docs, with permissions, parameters and return type. */
function documentedOperations(repo) {
  const operations = [];
  for (const path of repo.list(`${DOCS_DIR}/`).filter((p) => p.endsWith('Api.md'))) {
    const text = repo.read(path);
    const sections = text.split(/\n## (?=\w+\n)/).slice(1);
    for (const section of sections) {
      const name = section.slice(0, section.indexOf('\n')).trim();
      const wraps = /Wraps (GET|POST|PUT|PATCH|DELETE|HEAD) (\S+)/.exec(section);
      if (!wraps) continue;
      const permissions = {};
      const perm = /Requires (ALL|ANY) permissions:\s*\n\n((?:\* .+\n)+)/.exec(section);
      if (perm)
        permissions[perm[1].toLowerCase()] = [...perm[2].matchAll(/^\* (.+)$/gm)].map((m) => m[1].trim());
      const parameters = new Map();
      const table = section.split('### Parameters')[1]?.split('### Return type')[0] ?? '';
      for (const line of table.split('\n')) {
        const m = /^\| \*\*(\w+)\*\* \| (.+?)\| (.*?) \| (.*) \|$/.exec(line);
        if (!m) continue;
        const notes = m[4];
        const values = /\*\*Values\*\*: (.+?)(?:$| \|)/.exec(notes);
        const type = m[2].replace(/\[\*\*|\*\*\]\([^)]*\)|\*\*/g, '').trim();
        parameters.set(m[1], {
          type,
          required: !notes.includes('[optional]'),
          ...(values ? { enum: values[1].split(',').map((v) => v.trim()) } : {}),
        });
      }
      const returns = /### Return type\s*\n\s*\n\[?\*\*(\w[\w[\]().,\s]*?)\*\*/.exec(section);
      operations.push({
        name,
        method: wraps[1],
        path: wraps[2],
        permissions,
        parameters,
        returns: returns && returns[1] !== 'None' ? returns[1] : undefined,
      });
    }
  }
  return operations;
}

/** Real query parameter names (`query_params['phoneNumberStatus'] = params['phone_number_status']`) by operation. */
function queryNames(repo) {
  const names = new Map();
  for (const path of repo.list(`${APIS_DIR}/`).filter((p) => p.endsWith('_api.py'))) {
    const source = repo.read(path);
    for (const fn of source.split(/\n {4}def /).slice(1)) {
      const name = fn.slice(0, fn.indexOf('('));
      const map = new Map();
      for (const m of fn.matchAll(/query_params\['([^']+)'\] = params\['(\w+)'\]/g)) map.set(m[2], m[1]);
      const pathParams = new Map();
      for (const m of fn.matchAll(/path_params\['([^']+)'\] = params\['(\w+)'\]/g))
        pathParams.set(m[2], m[1]);
      const body = /body_params = params\['(\w+)'\]/.exec(fn)?.[1];
      names.set(name, { query: map, path: pathParams, body });
    }
  }
  return names;
}

/** `{param}` segments compared by position only: the SDK and the emulator may name them differently. */
export function pathShape(path) {
  return path.replace(/\{[^}]+\}/g, '{}');
}

function camel(name) {
  return name.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());
}

/** One operation, topic or model per line: small diffs when the SDK moves on, and still plain JSON. */
function render(definitions) {
  const lines = (entries) => entries.map((e) => `  ${e}`).join(',\n');
  return [
    '{',
    ` "source": ${JSON.stringify(definitions.source)},`,
    ' "operations": [',
    lines(definitions.operations.map((o) => JSON.stringify(o))),
    ' ],',
    ' "topics": [',
    lines(definitions.topics.map((t) => JSON.stringify(t))),
    ' ],',
    ' "models": {',
    lines(Object.entries(definitions.models).map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`)),
    ' }',
    '}',
    '',
  ].join('\n');
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const repo = repositoryReader(args.sdk, args.commit);
  const version = JSON.parse(repo.read('version.json')).displayFull;
  const files = modelFiles(repo);
  const documented = documentedOperations(repo);
  const names = queryNames(repo);

  const operations = [];
  const roots = new Set(WANTED.models);
  for (const [method, path] of WANTED.operations) {
    const op = documented.find((o) => o.method === method && pathShape(o.path) === pathShape(path));
    if (!op) throw new Error(`${method} ${path} is not documented in the SDK at ${repo.sha}`);
    const code = names.get(op.name) ?? { query: new Map(), path: new Map(), body: undefined };
    const query = [];
    const pathParams = [];
    let body;
    for (const [python, parameter] of op.parameters) {
      const entry = { type: parameter.type, required: parameter.required };
      if (parameter.enum) entry.enum = parameter.enum;
      if (python === code.body) {
        body = entry;
        for (const ref of referencedModels(parameter.type)) roots.add(ref);
      } else if (code.query.has(python)) query.push({ name: code.query.get(python), ...entry });
      else pathParams.push({ name: code.path.get(python) ?? camel(python), ...entry });
    }
    if (op.returns) for (const ref of referencedModels(op.returns)) roots.add(ref);
    operations.push({
      id: camel(op.name),
      method: op.method,
      path: op.path,
      permissions: op.permissions,
      pathParameters: pathParams,
      query,
      ...(body ? { body } : {}),
      ...(op.returns ? { response: op.returns } : {}),
    });
  }

  const mappings = JSON.parse(repo.read('notificationMappings.json')).notifications;
  const topics = [];
  for (const topic of WANTED.topics) {
    const mapping = mappings.find((m) => m.topic === topic);
    if (!mapping?.class) throw new Error(`topic ${topic} has no model in notificationMappings.json`);
    topics.push({ topic, model: mapping.class });
    roots.add(mapping.class);
  }

  const models = {};
  const queue = [...roots];
  while (queue.length > 0) {
    const name = queue.shift();
    if (models[name]) continue;
    models[name] = extractModel(repo, files, name);
    for (const property of Object.values(models[name].properties)) {
      for (const ref of referencedModels(property.type)) if (!models[ref]) queue.push(ref);
    }
  }
  const sorted = Object.fromEntries(
    Object.keys(models)
      .sort()
      .map((k) => [k, models[k]]),
  );

  const definitions = {
    source: {
      repository: 'https://github.com/MyPureCloud/platform-client-sdk-python',
      commit: repo.sha,
      sdkVersion: version,
      extractedBy: 'scripts/extract-platform-definitions.mjs',
      note: 'Generated from Genesys Cloud API definitions as published in the SDK; do not edit by hand.',
    },
    operations,
    topics,
    models: sorted,
  };
  writeFileSync(args.out, render(definitions));
  console.log(
    `${operations.length} operations, ${topics.length} topics, ${Object.keys(sorted).length} models from ${version} (${repo.sha}) → ${args.out}`,
  );
}

main();
