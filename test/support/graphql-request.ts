import { print, type DocumentNode } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import type { App } from '../../src/app';

/**
 * What a test sends: a generated typed document (test/operations/*.graphql → `npm run codegen`),
 * or, only where the document text itself is the test input, a literal string.
 */
export type GqlDocument<T, V> = TypedDocumentNode<T, V> | DocumentNode | string;

export interface GqlResponse<T> {
  status: number;
  headers: Record<string, unknown>;
  body: { data?: T | null; errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, any> }[] };
}

/**
 * What current clients (Apollo Client 4, urql, graphql-request) send: the GraphQL response media
 * type first. Under it request errors are 400; test/clients/graphql-over-http.test.ts covers the
 * legacy `application/json` answers.
 */
export const CLIENT_ACCEPT = 'application/graphql-response+json, application/json;q=0.9';

const printed = new WeakMap<DocumentNode, string>();

/** The query text of a document (printed once per document). */
export function queryText(document: DocumentNode | string): string {
  if (typeof document === 'string') return document;
  let text = printed.get(document);
  if (text === undefined) {
    text = print(document);
    printed.set(document, text);
  }
  return text;
}

/** The JSON body of a GraphQL-over-HTTP POST. */
export function requestBody<T, V>(document: GqlDocument<T, V>, variables?: V): { query: string; variables?: V } {
  return variables === undefined ? { query: queryText(document) } : { query: queryText(document), variables };
}

/** POSTs an operation to an in-process app other than `t.app` (a second instance on the same database). */
export async function injectGql<T, V>(
  app: Pick<App, 'server'>,
  document: GqlDocument<T, V>,
  variables?: V,
  headers: Record<string, string> = {},
): Promise<GqlResponse<T>> {
  const res = await app.server.inject({
    method: 'POST',
    url: '/graphql',
    headers: { 'content-type': 'application/json', accept: CLIENT_ACCEPT, ...headers },
    payload: requestBody(document, variables),
  });
  return withRequestIdChecked({ status: res.statusCode, headers: res.headers, body: JSON.parse(res.body) });
}

/** POSTs an operation over real HTTP (a server process started by the test). */
export async function fetchGql<T, V>(
  url: string,
  document: GqlDocument<T, V>,
  variables?: V,
  headers: Record<string, string> = {},
): Promise<GqlResponse<T>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: CLIENT_ACCEPT, ...headers },
    body: JSON.stringify(requestBody(document, variables)),
  });
  return withRequestIdChecked({
    status: res.status,
    headers: Object.fromEntries(res.headers),
    body: (await res.json()) as GqlResponse<T>['body'],
  });
}

/**
 * Every error of every response names its request: `extensions.requestId` equals the response's
 * `x-request-id` header (test/http/request-id.test.ts tests the ids themselves). Checked here for
 * every operation a test sends, then removed, so tests compare the rest of the extensions exactly.
 */
export function withRequestIdChecked<T>(res: GqlResponse<T>): GqlResponse<T> {
  const id = res.headers['x-request-id'];
  if (typeof id !== 'string' || id === '') throw new Error(`a GraphQL response without an x-request-id header (status ${res.status})`);
  for (const error of res.body.errors ?? []) {
    const { requestId, ...rest } = error.extensions ?? {};
    if (requestId !== id) throw new Error(`error ${JSON.stringify(error)} has requestId ${String(requestId)}, the header ${id}`);
    error.extensions = rest;
  }
  return res;
}

/** The JSON body of an injected response, each error's requestId checked against x-request-id and left out. */
export function checkedBody(res: { statusCode: number; headers: Record<string, unknown>; body: string }): GqlResponse<any>['body'] {
  return withRequestIdChecked({ status: res.statusCode, headers: res.headers, body: JSON.parse(res.body) }).body;
}
