import { Kind, type FieldNode, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';

/** The fields selected directly in `set`, through inline fragments and fragment spreads. */
function fieldsOf(info: GraphQLResolveInfo, set: SelectionSetNode | undefined, into: FieldNode[] = []): FieldNode[] {
  for (const selection of set?.selections ?? []) {
    if (selection.kind === Kind.FIELD) into.push(selection);
    else if (selection.kind === Kind.INLINE_FRAGMENT) fieldsOf(info, selection.selectionSet, into);
    else fieldsOf(info, info.fragments[selection.name.value]?.selectionSet, into);
  }
  return into;
}

/**
 * Which fields of a connection's nodes the operation selects (under `nodes` or `edges { node }`),
 * so a list query can fold in the related rows those fields need and skip the rest. An
 * over-approximation is harmless (a join nobody reads), so `@skip`/`@include` are not evaluated.
 */
export function selectedNodeFields(info: GraphQLResolveInfo): Set<string> {
  const names = new Set<string>();
  for (const connection of info.fieldNodes) {
    for (const field of fieldsOf(info, connection.selectionSet)) {
      if (field.name.value === 'nodes') for (const f of fieldsOf(info, field.selectionSet)) names.add(f.name.value);
      if (field.name.value === 'edges') {
        for (const edge of fieldsOf(info, field.selectionSet)) {
          if (edge.name.value === 'node') for (const f of fieldsOf(info, edge.selectionSet)) names.add(f.name.value);
        }
      }
    }
  }
  return names;
}
