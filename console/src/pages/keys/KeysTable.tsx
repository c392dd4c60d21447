import { day, count } from '../../format';
import type { ApiKeyOrderField, ApiKeysQuery, OrderDirection } from '../../generated/graphql';
import { Link } from '../../router';
import { useSession } from '../../session';
import type { Created } from './CreateKeyDialog';
import { KeyActions, StatusToggle } from './KeyActions';
import { summary } from './permissions';

const SORTED_COLUMNS: Partial<Record<ApiKeyOrderField, string>> = {
  NAME: 'Name',
  CREATED_AT: 'Created',
  LAST_USED_AT: 'Last used',
  EXPIRES_AT: 'Expires',
};

interface Props {
  connection: ApiKeysQuery['apiKeys'];
  order: { field: ApiKeyOrderField; direction: OrderDirection };
  filtered: boolean;
  onChanged(): void;
  onSecret(created: Created): void;
  onPage(page: { after?: string; before?: string }): void;
}

const COLUMNS = ['Name', 'Type', 'Owner', 'Permissions', 'Key', 'Status', 'Created', 'Last used', 'Expires', 'Requests', 'Actions'];

export function KeysTable({ connection, order, filtered, onChanged, onSecret, onPage }: Props) {
  const { catalog } = useSession();
  const { nodes, pageInfo, totalCount } = connection;
  if (totalCount === 0) {
    return (
      <div className="empty" role="status">
        <h2>{filtered ? 'No key matches these filters' : 'No API keys yet'}</h2>
        <p>{filtered ? 'Change the search or the filters.' : 'Create your first key to start calling the API.'}</p>
      </div>
    );
  }
  const sortedBy = SORTED_COLUMNS[order.field];
  const events = { onChanged, onSecret, onDeleted: onChanged };
  return (
    <>
      <div className="table-wrap">
        <table className="keys">
          <caption>
            {count(totalCount)} {totalCount === 1 ? 'key' : 'keys'}
          </caption>
          <thead>
            <tr>
              {COLUMNS.map((c) => (
                <th key={c} scope="col" aria-sort={c === sortedBy ? (order.direction === 'ASC' ? 'ascending' : 'descending') : undefined}>
                  {c}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {nodes.map((key) => (
              <tr key={key.id}>
                <th scope="row">
                  <Link to={`/keys/${key.id}`}>{key.name}</Link>
                </th>
                <td>{key.type}</td>
                <td>{key.type === 'BOT' ? 'Bot' : (key.owner?.email ?? '—')}</td>
                <td className="perms">{summary(key.permissions.scopes, catalog)}</td>
                <td>
                  <code>{key.maskedKey}</code>
                </td>
                <td>
                  <StatusToggle apiKey={key} onChanged={onChanged} />
                </td>
                <td>{day(key.createdAt)}</td>
                <td>{day(key.lastUsedAt)}</td>
                <td>{day(key.expiresAt)}</td>
                <td className="num">{count(key.requestCount)}</td>
                <td>
                  <KeyActions apiKey={key} events={events} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <nav className="pager" aria-label="Pages of keys">
        <button type="button" disabled={!pageInfo.hasPreviousPage} onClick={() => onPage({ before: pageInfo.startCursor ?? undefined })}>
          Previous page
        </button>
        <button type="button" disabled={!pageInfo.hasNextPage} onClick={() => onPage({ after: pageInfo.endCursor ?? undefined })}>
          Next page
        </button>
      </nav>
    </>
  );
}
