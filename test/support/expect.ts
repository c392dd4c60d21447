import type { GqlResponse } from './harness';

/**
 * Shared assertions for the error shapes of the contract, so every suite checks the same exact
 * code, reason, status and `required` scope.
 */
export function expectUnauthenticated(res: GqlResponse<unknown>, reason: string): void {
  expect(res.status).toBe(401);
  expect(res.body.data ?? null).toBeNull();
  expect(res.body.errors).toHaveLength(1);
  expect(res.body.errors![0].extensions).toEqual({ code: 'UNAUTHENTICATED', reason });
}

/**
 * A FORBIDDEN that left no data: HTTP 403, `required` listing exactly the missing scopes (always
 * a list, in catalog order), every root field null or absent. A mutation refused up front has no
 * `data` at all: nothing ran.
 */
export function expectForbidden(res: GqlResponse<unknown>, required: string | readonly string[]): void {
  expect(res.body.errors?.[0]?.extensions).toEqual({
    code: 'FORBIDDEN',
    required: typeof required === 'string' ? [required] : [...required],
  });
  expect(res.status).toBe(403);
  const data = res.body.data as Record<string, unknown> | null | undefined;
  expect(data == null || Object.values(data).every((v) => v === null)).toBe(true);
}

/**
 * A rule refusal (FORBIDDEN with `extensions.rule`): the caller may hold every scope involved.
 * `required` only where the rule is about scopes the caller lacks (NO_ESCALATION, EVENT_NEEDS_READ).
 */
export function expectRuleRefusal(res: GqlResponse<unknown>, rule: string, required?: readonly string[]): void {
  expect(res.body.errors?.[0]?.extensions).toEqual({ code: 'FORBIDDEN', rule, ...(required ? { required: [...required] } : {}) });
  expect(res.status).toBe(403);
}

/** An error of `code` from a field; with no data left, the status the error table gives. */
export function expectError(res: GqlResponse<unknown>, code: string, status?: number): Record<string, any> {
  expect(res.body.errors?.[0]?.extensions?.code).toBe(code);
  if (status !== undefined) expect(res.status).toBe(status);
  return res.body.errors![0].extensions!;
}

export function expectOk<T>(res: GqlResponse<T>): T {
  expect(res.body.errors).toBeUndefined();
  expect(res.status).toBe(200);
  return res.body.data as T;
}
