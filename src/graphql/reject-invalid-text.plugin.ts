import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, Kind, visit, type ValueNode } from 'graphql';
import { ErrorCode } from '../errors';

const MESSAGE = 'must not contain NUL (\\u0000) characters.';

/** Paths (e.g. `input.name`) of strings containing NUL in a variables object. */
function nulPaths(value: unknown, path: string, out: string[]): void {
  if (typeof value === 'string') {
    if (value.includes('\u0000')) out.push(path);
  } else if (Array.isArray(value)) {
    value.forEach((v) => nulPaths(v, path, out));
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) nulPaths(v, path ? `${path}.${k}` : k, out);
  }
}

function literalNulPaths(node: ValueNode, path: string, out: string[]): void {
  if (node.kind === Kind.STRING && node.value.includes('\u0000')) out.push(path);
  else if (node.kind === Kind.LIST) node.values.forEach((v) => literalNulPaths(v, path, out));
  else if (node.kind === Kind.OBJECT) node.fields.forEach((f) => literalNulPaths(f.value, `${path}.${f.name.value}`, out));
}

/**
 * PostgreSQL text cannot hold a NUL character, so a string carrying one is invalid input for
 * every field. Refusing it here, once, keeps it from surfacing as a database error (a 500) in
 * whichever service it would reach. Variables and literals are both checked; `fields` names
 * where it was (variable or argument paths).
 */
export const rejectNulPlugin: ApolloServerPlugin = {
  async requestDidStart() {
    return {
      async didResolveOperation({ request, document }) {
        const paths: string[] = [];
        nulPaths(request.variables ?? {}, '', paths);
        visit(document, {
          [Kind.ARGUMENT](node) {
            literalNulPaths(node.value, node.name.value, paths);
          },
        });
        if (paths.length === 0) return;
        throw new GraphQLError(`Text input ${MESSAGE}`, {
          extensions: {
            code: ErrorCode.BAD_USER_INPUT,
            fields: Object.fromEntries(paths.map((p) => [p, `${p.split('.').at(-1)} ${MESSAGE}`])),
            http: { status: 400 },
          },
        });
      },
    };
  },
};
