import { OperationTypeNode } from 'graphql';
import { AppError, AuthFailureReason, ErrorCode, ForbiddenError, UnauthenticatedError } from '../../kernel/errors';
import type { OperationRequirements } from '../authorization/operation-requirements';
import type { Stage } from './stage';

export interface AuthorizationOptions {
  /** Outside production, GraphiQL may fetch the schema without credentials. */
  anonymousIntrospection: boolean;
}

/**
 * The one admission rule and the up-front permission decision, made on the document Apollo will
 * execute (after persisted-query lookup, parsing and validation) and before any resolver runs,
 * whatever the transport (GET or POST, query in the URL or the body, persisted-query hash):
 *
 * - no principal: only a pure introspection query runs, and only where allowed; anything else is
 *   401 MISSING;
 * - a mutation whose selection needs any scope the principal lacks is refused whole (403,
 *   `required` lists every missing scope): nothing runs, so nothing changes;
 * - a query that is only partly allowed runs with its unauthorized fields null (FORBIDDEN each);
 * - the scopes an operation was admitted with travel in `caller.admitted`, and every change
 *   checks them again inside its own transaction (see auth/authority.ts).
 */
export function decisionStage(analyzer: OperationRequirements, options: AuthorizationOptions): Stage {
  return ({ contextValue, document, operation, request }) => {
    // Apollo calls this hook even when it found no operation to run (several in the document
    // and no or an unknown operationName): a client error, refused before anything runs.
    if (!operation) {
      const message = request.operationName
        ? `Unknown operation named "${request.operationName}".`
        : 'Must provide operation name if query contains multiple operations.';
      throw new AppError(ErrorCode.BAD_REQUEST, message, { http: { status: 400 } });
    }
    const analysis = analyzer.analyze(document, operation, request.variables);
    if (analysis.operationType === OperationTypeNode.SUBSCRIPTION) {
      throw new AppError(ErrorCode.BAD_REQUEST, 'keygate has no subscriptions; use webhooks to be told of changes.', {
        http: { status: 400 },
      });
    }
    if (contextValue.anonymous) {
      if (options.anonymousIntrospection && analysis.introspectionOnly) {
        contextValue.authorization = 'ALLOWED';
        return;
      }
      throw new UnauthenticatedError(AuthFailureReason.MISSING);
    }
    const missing = analysis.required & ~contextValue.principal.permissions;
    if (missing === 0n) {
      contextValue.authorization = 'ALLOWED';
      contextValue.caller.admitted = analysis.required;
      return;
    }
    if (analysis.operationType === OperationTypeNode.MUTATION) {
      const required = contextValue.access.scopesOf(missing);
      throw new ForbiddenError(
        { required },
        `Refused before anything ran: this operation needs ${required.join(', ')}, which this principal does not hold. Nothing was changed.`,
        { httpStatus: 403 },
      );
    }
    contextValue.authorization = 'PARTIAL';
  };
}
