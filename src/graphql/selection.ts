import type { GraphQLResolveInfo } from 'graphql';
import { foldSelections, type Fold } from './analysis/selection-walk';

/** Where the walk is inside a connection's selection: the connection, its `edges`, or a node. */
type Within = 'connection' | 'edges' | 'node';

const NODE_FIELDS: Fold<string[], Within> = {
  empty: [],
  merge: (a, b) => (a.length === 0 ? b : b.length === 0 ? a : a.concat(b)),
  contextKey: (within) => within,
  field: ({ node }, within, below) => {
    const name = node.name.value;
    if (within === 'node') return [name];
    if (within === 'edges') return name === 'node' ? below('node') : [];
    return name === 'nodes' ? below('node') : name === 'edges' ? below('edges') : [];
  },
};

/**
 * Which fields of a connection's nodes the operation selects (under `nodes` or `edges { node }`),
 * so a list query can fold in the related rows those fields need and skip the rest. Folded by
 * the document walker over the connection's own selections. An over-approximation is harmless
 * (a join nobody reads), so `@skip`/`@include` are not evaluated.
 */
export function selectedNodeFields(info: GraphQLResolveInfo): Set<string> {
  const walk = { fragments: new Map(Object.entries(info.fragments)) };
  const names = new Set<string>();
  for (const connection of info.fieldNodes) {
    if (!connection.selectionSet) continue;
    for (const name of foldSelections(walk, connection.selectionSet, undefined, NODE_FIELDS, 'connection')) names.add(name);
  }
  return names;
}
