import type { ApolloServerPlugin, GraphQLRequestListener, HTTPGraphQLRequest } from '@apollo/server';
import type { ValidationRule } from 'graphql';
import type { Config } from '../../kernel/config';
import { OperationRequirements } from '../authorization/operation-requirements';
import type { Warn } from '../compiled/compiled-executor';
import type { GraphQLContext } from '../context';
import type { KeygateSchema } from '../schema';
import { costStage } from './cost.stage';
import { decisionStage } from './decision.stage';
import { decidedExecutor, type DecidedExecution } from './execute.stage';
import { aliasLimitRule, documentLimitsHook, MAX_TOKENS } from './limits.stage';
import { operationLabel } from './operation-label';
import { oneOutboundSendRule } from './outbound.rule';
import type { Stage, StageRequest } from './stage';
import { collapseListRefusals } from './refusals.stage';
import { setResponseStatus } from './status.stage';
import { textStage } from './text.stage';

/**
 * A GraphQL request, stage by stage, in the order they run. This file is the list; each stage is
 * a file of its own beside it, and every stage reads one analysis of the document
 * (analysis/document-analysis.ts), folded by one walker (analysis/selection-walk.ts).
 *
 * Before this pipeline, the HTTP route (http/graphql.route.ts) has parsed the body (JSON nested
 * at most 64 deep) and found the principal (http/request-policy.ts).
 *
 *  1. limits     limits.stage.ts: on the query text, before Apollo parses it: nesting, depth,
 *                fragments, expanded selections (a Fastify pre-handler); aliases, and at most one
 *                mutation that sends out of keygate (outbound.rule.ts), while Apollo validates.
 *     — Apollo parses and validates (each text once; it keeps the validated document) and
 *       resolves the operation. Then, one after the other:
 *  2. decision   decision.stage.ts: who may run anything (the admission rule), and the decision for
 *                the whole operation — allowed, partly allowed (a query), or refused (a mutation).
 *  3. cost       cost.stage.ts: the operation's cost with its variables, against the limit.
 *  4. text       text.stage.ts: text PostgreSQL cannot store, in literals and variables.
 *  5. execute    execute.stage.ts: what was decided runs — allowed on the plain schema (compiled
 *                once repeated: compiled/), partly allowed on the guarded one. The plugin's
 *                `responseForOperation` runs it and answers a result without errors itself; one
 *                with errors goes on through Apollo's `gateway` option (a pluggable executor), which
 *                returns it unrun, so Apollo formats and reports its errors.
 *  6. refusals   refusals.stage.ts: a field refused in a list is one error per selection path, not per row.
 *  7. status     status.stage.ts: the response's HTTP status, from its data and first error
 *                (and the media type the client accepts).
 *
 * Beside the stages, `observe` (metrics) hears each resolved operation's bounded label
 * (operation-label.ts), before stage 2 can refuse it; `decided` (traces) hears stage 2's decision,
 * REFUSED when it threw; `unexpected` (logs) hears every error Apollo met.
 */
export interface GraphQLPipeline {
  /** Stage 1, for the route's pre-handler. */
  limits: typeof documentLimitsHook;
  /** Stage 1's validation rules, and its parse options, for Apollo. */
  validationRules: ValidationRule[];
  parseOptions: { maxTokens: number };
  /** Stages 2–4, 6 and 7, as one Apollo plugin that runs them in this file's order. */
  plugin: ApolloServerPlugin<GraphQLContext>;
  /** Stage 5, Apollo's `gateway` (the plugin's `responseForOperation` runs it first: execute.stage.ts). */
  gateway: DecidedExecution['gateway'];
}

export interface PipelineDeps {
  schema: KeygateSchema;
  config: Config;
  warn: Warn;
  /** Hears the label of every resolved operation (with the HTTP request it came in); unset when metrics are off. */
  observe?: (operation: string, http: HTTPGraphQLRequest | undefined) => void;
  /** Hears every error of a request once it has a request context (to log the unexpected ones with the request's logger). */
  unexpected?: (error: unknown, http: HTTPGraphQLRequest | undefined) => void;
  /** Hears stage 2's decision for every resolved operation, after stages 2–4; unset when tracing is off. */
  decided?: (request: StageRequest, decision: Decision) => void;
}

/** Stage 2's decision: the whole operation runs, part of a query runs, or nothing runs. */
export type Decision = 'ALLOWED' | 'PARTIAL' | 'REFUSED';

export function graphqlPipeline(deps: PipelineDeps): GraphQLPipeline {
  const { schema, config, observe, decided, unexpected } = deps;
  const stages: Stage[] = [
    decisionStage(new OperationRequirements(schema.schema, schema.requirements), { anonymousIntrospection: !config.isProduction }),
    costStage(),
    textStage,
  ];
  // One object for every request: the hooks read all they need from their arguments, so nothing
  // (no closures, and one settled promise for requestDidStart) is made per request.
  const execution = decidedExecutor({ plain: schema.plain, guarded: schema.schema }, config.graphql, deps.warn);
  const hooks: GraphQLRequestListener<GraphQLContext> = {
    async didResolveOperation(request) {
      observe?.(operationLabel(request), request.request.http);
      try {
        for (const stage of stages) stage(request);
      } finally {
        decided?.(request, request.contextValue.authorization ?? 'REFUSED');
      }
    },
    responseForOperation: (request) => execution.respond(request),
    async didEncounterErrors({ errors, request }) {
      if (unexpected) for (const error of errors) unexpected(error, request.http);
    },
    async willSendResponse({ response, request }) {
      collapseListRefusals(response);
      setResponseStatus(response, request.http?.headers);
    },
  };
  const started = Promise.resolve(hooks);
  return {
    limits: documentLimitsHook,
    validationRules: [aliasLimitRule(), oneOutboundSendRule()],
    parseOptions: { maxTokens: MAX_TOKENS },
    plugin: { requestDidStart: () => started },
    gateway: execution.gateway,
  };
}
