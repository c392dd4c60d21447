import { GraphQLError, Kind, type ASTVisitor, type FieldNode, type SelectionSetNode, type ValidationContext } from 'graphql';

/** Marks a mutation that sends a request out of keygate (a webhook ping, a redelivery): `@Extensions(OUTBOUND)`. */
export const OUTBOUND = { outbound: true } as const;

/**
 * At most one mutation that sends a request out of keygate per operation, decided before anything
 * runs. Without it, 30 aliased `testWebhook` fields made keygate send to a third party 7 times
 * for one refused request (an attacker's pass): each send is a side effect no later refusal
 * takes back. @skip/@include are not evaluated here: two such fields in one document are refused.
 */
export function oneOutboundSendRule() {
  return (context: ValidationContext): ASTVisitor => ({
    OperationDefinition(operation) {
      const root = operation.operation === 'mutation' ? context.getSchema().getMutationType() : null;
      if (!root) return false;
      const fields = root.getFields();
      const sends: FieldNode[] = [];
      const visitedFragments = new Set<string>();
      const visit = (set: SelectionSetNode): void => {
        for (const selection of set.selections) {
          if (selection.kind === Kind.FIELD) {
            if (fields[selection.name.value]?.extensions?.outbound === true) sends.push(selection);
          } else if (selection.kind === Kind.INLINE_FRAGMENT) visit(selection.selectionSet);
          else if (!visitedFragments.has(selection.name.value)) {
            visitedFragments.add(selection.name.value);
            const fragment = context.getFragment(selection.name.value);
            if (fragment) visit(fragment.selectionSet);
          }
        }
      };
      visit(operation.selectionSet);
      if (sends.length > 1) {
        context.reportError(
          new GraphQLError(
            `An operation may send at most one request out of keygate (${sends.map((s) => s.name.value).join(', ')}); send them one per request.`,
            { nodes: sends, extensions: { limit: 'outbound', max: 1 } },
          ),
        );
      }
      return false;
    },
  });
}
