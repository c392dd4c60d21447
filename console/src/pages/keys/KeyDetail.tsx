import { useState } from 'react';
import { AuditDetails } from '../../components/AuditDetails';
import '../../components/stack-table.css';
import { ErrorText } from '../../components/Dialog';
import { UsageChart } from '../../components/UsageChart';
import { useQuery } from '../../data';
import { count, moment } from '../../format';
import { ApiKeyDetailDocument } from '../../generated/graphql';
import { Link, navigate } from '../../router';
import { useSession } from '../../session';
import type { Created } from './CreateKeyDialog';
import { KeyActions, StatusToggle } from './KeyActions';
import { summary } from './permissions';
import { rateLimitText } from './RateLimit';
import { SecretDialog } from './SecretDialog';

/** One key: its facts, daily usage, its audit trail, the same actions as the table, and Edit. */
export function KeyDetail({ id }: { id: string }) {
  const { catalog } = useSession();
  const detail = useQuery(ApiKeyDetailDocument, { id });
  const [secret, setSecret] = useState<Created | null>(null);
  const key = detail.data?.apiKey;
  if (!key) {
    return (
      <section>
        <p>
          <Link to="/keys">← API keys</Link>
        </p>
        {detail.loading ? (
          <p>Loading…</p>
        ) : (
          <ErrorText message={detail.errors[0]?.message ?? 'No such key (deleted, or in another organization).'} />
        )}
      </section>
    );
  }
  const facts: [string, string][] = [
    ['Type', key.type],
    ['Owner', key.type === 'BOT' ? 'Bot' : (key.owner?.email ?? '—')],
    ['Key', key.maskedKey],
    ['Permissions', summary(key.permissions.scopes, catalog)],
    ['Created', `${moment(key.createdAt)}${key.createdBy ? ` by ${key.createdBy.name}` : ''}`],
    ['Changed', moment(key.updatedAt)],
    ['Rotated', moment(key.rotatedAt, 'Never')],
    ['Old secret works until', moment(key.previousSecretExpiresAt)],
    ['Last used', moment(key.lastUsedAt, 'Never')],
    ['Expires', moment(key.expiresAt, 'Never')],
    ['Requests', count(key.requestCount)],
    ['Rate limit', rateLimitText(key.rateLimitPerMinute)],
  ];
  if (key.revokedAt)
    facts.push(['Revoked', `${moment(key.revokedAt)} by ${key.revokedBy?.name ?? '—'}: ${key.revokedReason ?? 'no reason given'}`]);
  return (
    <section aria-labelledby="key-title">
      <p>
        <Link to="/keys">← API keys</Link>
      </p>
      <div className="page-head">
        <h1 id="key-title">{key.name}</h1>
        <StatusToggle apiKey={key} onChanged={detail.reload} />
      </div>
      <KeyActions apiKey={key} editable events={{ onChanged: detail.reload, onSecret: setSecret, onDeleted: () => navigate('/keys') }} />
      <dl className="facts">
        {facts.map(([term, value]) => (
          <div key={term}>
            <dt>{term}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
      <h2>Usage</h2>
      <UsageChart days={key.usage} label="Requests per day" />
      <h2>Audit trail</h2>
      {detail.data?.auditLog.nodes.length ? (
        <table className="stack">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Action</th>
              <th scope="col">By</th>
              <th scope="col">Details</th>
            </tr>
          </thead>
          <tbody>
            {detail.data.auditLog.nodes.map((e) => (
              <tr key={e.id}>
                <td data-label="When">{moment(e.createdAt)}</td>
                <td data-label="Action">{e.action}</td>
                <td data-label="By">{e.actor.name}</td>
                <td data-label="Details" className="wrap">
                  <AuditDetails metadata={e.metadata} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p>No events.</p>
      )}
      {secret && <SecretDialog name={secret.name} secret={secret.secret} onClose={() => setSecret(null)} />}
    </section>
  );
}
