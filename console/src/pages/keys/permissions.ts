import type { Catalog } from '../../session';

/** A grant as the matrix holds it: a set of scopes ("stats:read"). */
export type Grant = Set<string>;

export const ACTIONS = ['create', 'read', 'update', 'delete'] as const;

/** Resources in the catalog's order. */
export function resourcesOf(catalog: Catalog): string[] {
  return [...new Set(catalog.map((p) => p.resource))];
}

export interface Preset {
  label: string;
  scopes(catalog: Catalog, held: string[]): string[];
}

/** Presets of the create dialog; "Full access" is everything the person may grant. */
export const PRESETS: Preset[] = [
  { label: 'Full access', scopes: (catalog, held) => catalog.map((p) => p.scope).filter((s) => held.includes(s)) },
  { label: 'Read-only analytics', scopes: () => ['stats:read', 'shortLinks:read'] },
  { label: 'None', scopes: () => [] },
];

/** The API's input shape: `{ stats: ['read'], shortLinks: ['read'] }`. */
export function toInput(grant: Grant): Record<string, string[]> {
  const input: Record<string, string[]> = {};
  for (const scope of grant) {
    const [resource, action] = scope.split(':');
    (input[resource] ??= []).push(action);
  }
  return input;
}

/** The table's summary: "Full access", "None", or the scopes by resource. */
export function summary(scopes: string[], catalog: Catalog): string {
  if (scopes.length === 0) return 'None';
  if (catalog.every((p) => scopes.includes(p.scope))) return 'Full access';
  const byResource = new Map<string, string[]>();
  for (const scope of scopes) {
    const [resource, action] = scope.split(':');
    byResource.set(resource, [...(byResource.get(resource) ?? []), action]);
  }
  return [...byResource].map(([resource, actions]) => `${resource}: ${actions.join(', ')}`).join(' · ');
}
