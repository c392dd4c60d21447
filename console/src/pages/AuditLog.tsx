import { useState } from 'react';
import { AuditDetails } from '../components/AuditDetails';
import { ErrorText } from '../components/Dialog';
import { useQuery } from '../data';
import { moment } from '../format';
import { AUDIT_ACTIONS } from '../generated/events';
import { AuditLogDocument, type AuditFilter } from '../generated/graphql';
import { Link, useSearchParam } from '../router';
import { useScope } from '../session';
import '../components/stack-table.css';

const PAGE = 25;

/** The actions by target type, in catalog order: the filter's option groups. */
const ACTION_GROUPS = [...new Set(AUDIT_ACTIONS.map((a) => a.targetType))].map((targetType) => ({
  targetType,
  actions: AUDIT_ACTIONS.filter((a) => a.targetType === targetType).map((a) => a.action),
}));

/** Where a target is shown in the console; null for a target without a page (the organization). */
export function targetPath(targetType: string, targetId: string | null): string | null {
  if (!targetId) return null;
  switch (targetType) {
    case 'API_KEY':
      return `/keys/${targetId}`;
    case 'WEBHOOK':
      return `/webhooks?webhook=${encodeURIComponent(targetId)}`;
    case 'SHORT_LINK':
      return '/links';
    case 'DOMAIN':
      return '/domains';
    case 'MEMBER':
      return '/members';
    default:
      return null;
  }
}

/**
 * The audit log, newest first, filtered by action (from the catalog), target or date; the filters
 * are in the URL (`?action=API_KEY_REVOKED&target=…&since=…`), so a reload or a shared link keeps
 * them. Targets link to their pages; details read as key/value pairs.
 */
export function AuditLog() {
  const read = useScope('apiKeys:read');
  const [action, setAction] = useSearchParam('action');
  const [targetId, setTargetId] = useSearchParam('target');
  const [since, setSince] = useSearchParam('since');
  const [cursors, setCursors] = useState<string[]>([]);
  const filter: AuditFilter = {};
  if (action) filter.action = action;
  if (targetId.trim()) filter.targetId = targetId.trim();
  if (since) filter.since = `${since}T00:00:00.000Z`;
  const after = cursors[cursors.length - 1];
  const log = useQuery(AuditLogDocument, read.allowed ? { first: PAGE, after, filter } : null);
  const refilter = (set: (v: string) => void) => (v: string) => {
    set(v);
    setCursors([]);
  };
  const events = log.data?.auditLog;
  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">Audit log</h1>
      {!read.allowed && (
        <p className="reason" role="note">
          You cannot see the audit log: {read.reason}
        </p>
      )}
      <form className="toolbar" role="search" aria-label="Filter events" onSubmit={(e) => e.preventDefault()}>
        <label>
          Action{' '}
          <select value={action} onChange={(e) => refilter(setAction)(e.target.value)}>
            <option value="">All actions</option>
            {ACTION_GROUPS.map((g) => (
              <optgroup key={g.targetType} label={g.targetType}>
                {g.actions.map((a) => (
                  <option key={a} value={a}>
                    {a}
                  </option>
                ))}
              </optgroup>
            ))}
          </select>
        </label>
        <label>
          Target id <input value={targetId} onChange={(e) => refilter(setTargetId)(e.target.value)} />
        </label>
        <label>
          Since <input type="date" value={since} onChange={(e) => refilter(setSince)(e.target.value)} />
        </label>
      </form>
      <ErrorText message={log.data ? '' : (log.errors[0]?.message ?? '')} />
      {events && (
        <>
          <table className="stack" aria-label="Audit events">
            <caption>
              {events.totalCount} {events.totalCount === 1 ? 'event' : 'events'}
            </caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Action</th>
                <th scope="col">Target</th>
                <th scope="col">Actor</th>
                <th scope="col">IP</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {events.nodes.map((e) => {
                const to = targetPath(e.targetType, e.targetId);
                const name = e.targetName ?? e.targetId ?? '';
                return (
                  <tr key={e.id}>
                    <td data-label="When" className="nowrap">
                      {moment(e.createdAt)}
                    </td>
                    <td data-label="Action">{e.action}</td>
                    <td data-label="Target" className="wrap">
                      <span className="muted">{e.targetType}</span> {to ? <Link to={to}>{name}</Link> : name}
                    </td>
                    <td data-label="Actor">
                      {e.actor.name} ({e.actor.kind})
                    </td>
                    <td data-label="IP" className="wrap">
                      {e.ip ?? ''}
                    </td>
                    <td data-label="Details" className="wrap">
                      <AuditDetails metadata={e.metadata} />
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          <nav className="pager" aria-label="Pages of events">
            <button type="button" disabled={cursors.length === 0} onClick={() => setCursors(cursors.slice(0, -1))}>
              Newer events
            </button>
            <button
              type="button"
              disabled={!events.pageInfo.hasNextPage}
              onClick={() => setCursors([...cursors, events.pageInfo.endCursor!])}
            >
              Older events
            </button>
          </nav>
        </>
      )}
    </section>
  );
}
