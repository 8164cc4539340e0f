/** Loading rules from YAML with line and column numbers in every error. */
import { readFileSync } from 'node:fs';
import { isMap, isNode, LineCounter, parseDocument } from 'yaml';
import { ConfigError } from '../../errors.js';
import { RulesValidationError } from './errors.js';
import type { RuleSet } from './types.js';
import { type Locator, validateRules } from './validate.js';

/** Where a path lies in a parsed document: the value's node, or for a missing/unknown key its map's key. */
function locator(document: ReturnType<typeof parseDocument>, lines: LineCounter): Locator {
  return (path, at) => {
    for (let depth = at === 'key' ? path.length - 1 : path.length; depth >= 0; depth--) {
      const prefix = path.slice(0, depth);
      const node = prefix.length === 0 ? document.contents : document.getIn(prefix, true);
      if (!isNode(node) || !node.range) continue;
      let offset = node.range[0];
      // An unknown key: point at the key itself rather than at the map holding it.
      const next = path[depth];
      if (depth < path.length && isMap(node) && typeof next === 'string') {
        const pair = node.items.find(
          (item) => isNode(item.key) && (item.key as { value?: unknown }).value === next,
        );
        if (pair && isNode(pair.key) && pair.key.range) offset = pair.key.range[0];
      }
      const position = lines.linePos(offset);
      return { line: position.line, column: position.col };
    }
    return undefined;
  };
}

/** Parses and validates rules from YAML text; `source` names the file in messages. */
export function parseRules(text: string, source = 'rules.yaml'): RuleSet {
  const lines = new LineCounter();
  const document = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (document.errors.length > 0) {
    throw new RulesValidationError(
      document.errors.map((error) => {
        const position = error.linePos?.[0] ?? lines.linePos(error.pos[0]);
        return {
          path: [],
          message: `not valid YAML: ${error.message.split('\n')[0]}`,
          file: source,
          ...(position ? { line: position.line, column: position.col } : {}),
        };
      }),
      source,
    );
  }
  return validateRules(document.toJS() ?? {}, { source, locate: locator(document, lines) });
}

/** Reads, parses and validates a rules file. */
export function loadRulesFile(path: string): RuleSet {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new ConfigError(`Cannot read rules file ${path}: ${(cause as Error).message}`, {
      hint: 'Check the path given to --rules; examples/rules.yaml is a starting point.',
      cause,
    });
  }
  return parseRules(text, path);
}
