/** Loading rules from YAML with line and column numbers in every error. */
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import { locateYamlPath } from '../../config/yaml-location.js';
import { ConfigError } from '../../errors.js';
import { RulesValidationError } from './errors.js';
import type { RuleSet } from './types.js';
import { type Locator, validateRules } from './validate.js';

/** Where a path lies in a parsed document: the value's node, or for a missing/unknown key its map's key. */
function locator(document: ReturnType<typeof parseDocument>, lines: LineCounter): Locator {
  return (path, at) => locateYamlPath(document, lines, path, at === 'key');
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
