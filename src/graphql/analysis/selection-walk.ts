import {
  getNamedType,
  isInterfaceType,
  isObjectType,
  Kind,
  type DirectiveNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';

/**
 * The one walk over an operation's selections, which every measure of a document folds: its
 * shape (the limits), the scopes it needs (the decision), its cost, what compiling it would
 * generate. Fragments are expanded and folded once per context however often they are spread,
 * so a walk is linear in the document; an unknown fragment or a cycle (which validation refuses,
 * but the limits run before validation) folds to nothing.
 */
export interface WalkContext {
  /** Without a schema (the limits, before validation), no field has a type or a definition. */
  schema?: GraphQLSchema;
  fragments: ReadonlyMap<string, FragmentDefinitionNode>;
  /** Whether a selection carrying these directives runs; every selection does unless told otherwise. */
  included?: (directives: readonly DirectiveNode[] | undefined) => boolean;
}

/** One field as the walk meets it: its node, the type it is selected on, and its definition (when both are known). */
export interface FieldVisit {
  node: FieldNode;
  parent: GraphQLNamedType | undefined;
  definition: GraphQLField<unknown, unknown> | undefined;
}

/**
 * How one measure folds: a value per field (`below` folds the field's own selections, in the
 * context given), values of siblings merged, `empty` for nothing selected. A fold whose value
 * depends on where a fragment is spread (a cost under a stats window, a path length) names its
 * context in `contextKey`, and a fragment is folded once per key.
 */
export interface Fold<T, C = undefined> {
  field(visit: FieldVisit, context: C, below: (context: C) => T): T;
  merge(a: T, b: T): T;
  empty: T;
  contextKey?(context: C): string;
  /** A fold that must not guess (the cost limit fails closed) throws on an unknown fragment or a cycle instead of folding it to `empty`. */
  strict?: boolean;
}

export function foldSelections<T, C>(
  walk: WalkContext,
  set: SelectionSetNode,
  parent: GraphQLNamedType | undefined,
  fold: Fold<T, C>,
  context: C,
): T {
  const memo = new Map<string, T>();
  const inProgress = new Set<string>();
  const { schema, fragments } = walk;
  const included = walk.included ?? (() => true);

  const fragmentValue = (name: string, at: C): T => {
    const key = `${name}\u0000${fold.contextKey?.(at) ?? ''}`;
    const known = memo.get(key);
    if (known !== undefined) return known;
    const fragment = fragments.get(name);
    if (!fragment || inProgress.has(key)) {
      if (fold.strict) throw new Error(`fragment ${name} cannot be folded`);
      return fold.empty;
    }
    inProgress.add(key);
    const value = setValue(fragment.selectionSet, schema?.getType(fragment.typeCondition.name.value) ?? undefined, at);
    inProgress.delete(key);
    memo.set(key, value);
    return value;
  };

  const setValue = (selections: SelectionSetNode, type: GraphQLNamedType | undefined, at: C): T => {
    let value = fold.empty;
    for (const selection of selections.selections) {
      if (!included(selection.directives)) continue;
      if (selection.kind === Kind.FRAGMENT_SPREAD) value = fold.merge(value, fragmentValue(selection.name.value, at));
      else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const narrowed = selection.typeCondition ? (schema?.getType(selection.typeCondition.name.value) ?? undefined) : type;
        value = fold.merge(value, setValue(selection.selectionSet, narrowed, at));
      } else {
        const definition = type && (isObjectType(type) || isInterfaceType(type)) ? type.getFields()[selection.name.value] : undefined;
        const child = definition && getNamedType(definition.type);
        const below = (inner: C) => (selection.selectionSet ? setValue(selection.selectionSet, child, inner) : fold.empty);
        value = fold.merge(value, fold.field({ node: selection, parent: type, definition }, at, below));
      }
    }
    return value;
  };

  return setValue(set, parent, context);
}

/** The fragment definitions of a document, by name. */
export function fragmentsOf(definitions: readonly { kind: string }[]): Map<string, FragmentDefinitionNode> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of definitions)
    if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set((d as FragmentDefinitionNode).name.value, d as FragmentDefinitionNode);
  return fragments;
}
