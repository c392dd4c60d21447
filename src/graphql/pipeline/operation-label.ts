import { Kind, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';
import { analyzeDocument } from '../analysis/document-analysis';
import type { StageRequest } from './stage';

/** Every operation that selects only `__schema`, `__type` or `__typename` at its root. */
export const INTROSPECTION_LABEL = 'introspection';
/** An operation that selects more than one root field. */
export const MULTIPLE_LABEL = 'multiple';
/** No operation was resolved: refused before (credentials, limits) or while (parse, validation) Apollo read it. */
export const NONE_LABEL = 'none';

/**
 * A name for the operation that metrics can use as a label: the one root field it selects
 * (`apiKeys`, `createApiKey`; aliases and repeats count once), `introspection`, or `multiple`.
 * Never the client's operation name: that is any text, and a label must come from a bounded set.
 * `none` when nothing was resolved. These are bounded: the document is validated, so every root field is one of the schema's.
 */
export function operationLabel(request: Pick<StageRequest, 'schema' | 'document' | 'operation'>): string {
  if (!request.operation) return NONE_LABEL;
  const fields = rootFields(request);
  if (fields.length === 0) return INTROSPECTION_LABEL;
  return fields.length === 1 ? fields[0] : MULTIPLE_LABEL;
}

/**
 * The root fields the operation selects, once each, in document order (`__` meta-fields left out):
 * schema names, so bounded like the label (traces carry them). Found once per document and operation.
 */
export function rootFields({ schema, document, operation }: Pick<StageRequest, 'schema' | 'document' | 'operation'>): readonly string[] {
  if (!operation) return [];
  const analysis = analyzeDocument(schema, document);
  const memo = analysis.memo(operation);
  let fields = memo.get('rootFields') as string[] | undefined;
  if (fields === undefined) memo.set('rootFields', (fields = fieldsOf(operation, analysis.fragments)));
  return fields;
}

function fieldsOf(operation: OperationDefinitionNode, fragments: ReturnType<typeof analyzeDocument>['fragments']): string[] {
  const fields = new Set<string>();
  // Validation has refused fragment cycles; `seen` only spares a fragment spread twice.
  const seen = new Set<string>();
  const collect = (selectionSet: SelectionSetNode) => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        if (!selection.name.value.startsWith('__')) fields.add(selection.name.value);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        collect(selection.selectionSet);
      } else if (!seen.has(selection.name.value)) {
        seen.add(selection.name.value);
        const fragment = fragments.get(selection.name.value);
        if (fragment) collect(fragment.selectionSet);
      }
    }
  };
  collect(operation.selectionSet);
  return [...fields];
}
