import { useState } from 'react';
import { ErrorText } from '../components/Dialog';
import { useQuery } from '../data';
import { moment } from '../format';
import { AuditLogDocument, type AuditFilter } from '../generated/graphql';
import { useScope } from '../session';

const PAGE = 25;

/** The audit log, newest first, filtered by action, target or date; "Older events" pages on. */
export function AuditLog() {
  const read = useScope('apiKeys:read');
  const [action, setAction] = useState('');
  const [targetId, setTargetId] = useState('');
  const [since, setSince] = useState('');
  const [cursors, setCursors] = useState<string[]>([]);
  const filter: AuditFilter = {};
  if (action.trim()) filter.action = action.trim().toUpperCase();
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
          Action <input value={action} placeholder="API_KEY_REVOKED" onChange={(e) => refilter(setAction)(e.target.value)} />
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
          <table>
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
              {events.nodes.map((e) => (
                <tr key={e.id}>
                  <td>{moment(e.createdAt)}</td>
                  <td>{e.action}</td>
                  <td>
                    {e.targetType} {e.targetName ?? ''}
                  </td>
                  <td>
                    {e.actor.name} ({e.actor.kind})
                  </td>
                  <td>{e.ip ?? ''}</td>
                  <td>
                    <code>{e.metadata ? JSON.stringify(e.metadata) : ''}</code>
                  </td>
                </tr>
              ))}
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
