import './audit-details.css';

/** One value as text: lists joined, nothing shown as JSON unless it is a deeper structure. */
function text(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (Array.isArray(value) && value.every((v) => typeof v !== 'object' || v === null)) return value.length ? value.join(', ') : '(none)';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** `{ permissions: { stats: ['read'] } }` → `[['permissions.stats', ['read']]]`: nested objects read as dotted keys. */
function flatten(value: Record<string, unknown>, prefix = ''): [string, unknown][] {
  return Object.entries(value).flatMap(([key, v]) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length > 0
      ? flatten(v as Record<string, unknown>, `${prefix}${key}.`)
      : [[`${prefix}${key}`, v] as [string, unknown]],
  );
}

/**
 * An audit event's details (its metadata) as readable key/value pairs, not one line of JSON:
 * used by the audit log and by a key's audit trail. Long values wrap instead of widening the page.
 */
export function AuditDetails({ metadata }: { metadata: unknown }) {
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) {
    return metadata == null ? null : <span className="audit-details">{text(metadata)}</span>;
  }
  const pairs = flatten(metadata as Record<string, unknown>);
  if (pairs.length === 0) return null;
  return (
    <dl className="audit-details">
      {pairs.map(([key, value]) => (
        <div key={key}>
          <dt>{key}</dt>
          <dd>{text(value)}</dd>
        </div>
      ))}
    </dl>
  );
}
