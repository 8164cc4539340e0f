/** Line and column numbers for paths in a parsed YAML document, so configuration errors point at the spot. */
import { isMap, isNode, type LineCounter, type parseDocument } from 'yaml';

/** A position for people: 1-based line and column. */
export interface YamlPosition {
  line: number;
  column: number;
}

/**
 * Where a path lies in a document: the value's node, or — for a missing or unknown key (`atKey`) — the key itself
 * in the nearest map that holds it. Undefined when no part of the path has a position.
 */
export function locateYamlPath(
  document: ReturnType<typeof parseDocument>,
  lines: LineCounter,
  path: ReadonlyArray<string | number>,
  atKey: boolean,
): YamlPosition | undefined {
  for (let depth = atKey ? path.length - 1 : path.length; depth >= 0; depth--) {
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
}
