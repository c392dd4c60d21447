import { useState } from 'react';
import { ErrorText } from '../../components/Dialog';
import { Guarded } from '../../components/Guarded';
import { useQuery } from '../../data';
import {
  ApiKeysDocument,
  type ApiKeyFilter,
  type ApiKeyOrderField,
  type ApiKeysQueryVariables,
  type OrderDirection,
} from '../../generated/graphql';
import { useSearchParam } from '../../router';
import { useScope } from '../../session';
import { CreateKeyDialog, type Created } from './CreateKeyDialog';
import { KeysTable } from './KeysTable';
import { SecretDialog } from './SecretDialog';

export const PAGE_SIZE = 10;

const ORDERS: { value: `${ApiKeyOrderField}:${OrderDirection}`; label: string }[] = [
  { value: 'CREATED_AT:DESC', label: 'Newest first' },
  { value: 'CREATED_AT:ASC', label: 'Oldest first' },
  { value: 'LAST_USED_AT:DESC', label: 'Last used, most recent first' },
  { value: 'LAST_USED_AT:ASC', label: 'Last used, least recent first' },
  { value: 'EXPIRES_AT:ASC', label: 'Expires, soonest first' },
  { value: 'EXPIRES_AT:DESC', label: 'Expires, latest first' },
  { value: 'NAME:ASC', label: 'Name, A to Z' },
  { value: 'NAME:DESC', label: 'Name, Z to A' },
];

type Page = { after?: string } | { before?: string };

const STATUSES = ['ACTIVE', 'INACTIVE', 'EXPIRED', 'REVOKED'];
const TYPES = ['USER', 'BOT'];

/** A URL parameter read only as one of `choices` ('' otherwise): the URL is anyone's to write. */
function oneOf([value, set]: [string, (value: string) => void], choices: readonly string[]): [string, (value: string) => void] {
  return [choices.includes(value) ? value : '', set];
}

/** Settings → API keys: the table of the seeds, with search, filters, ordering and paging. */
export function KeysPage() {
  const read = useScope('apiKeys:read');
  const create = useScope('apiKeys:create');
  // Filters, order and the page live in the URL: a reload or a shared link shows the same keys.
  // What the URL says is only used when it is one of the choices offered.
  const [search, setSearch] = useSearchParam('q');
  const [status, setStatus] = oneOf(useSearchParam('status'), STATUSES);
  const [type, setType] = oneOf(useSearchParam('type'), TYPES);
  const [order, setOrder] = oneOf(
    useSearchParam('order'),
    ORDERS.map((o) => o.value),
  );
  const [after, setAfter] = useSearchParam('after');
  const [before, setBefore] = useSearchParam('before');
  const page: Page = before ? { before } : after ? { after } : {};
  const setPage = (next: Page) => {
    setAfter('after' in next ? (next.after ?? '') : '');
    setBefore('before' in next ? (next.before ?? '') : '');
  };
  const [creating, setCreating] = useState(false);
  const [secret, setSecret] = useState<Created | null>(null);

  const filter: ApiKeyFilter = {};
  if (search.trim()) filter.search = search.trim();
  if (status) filter.status = status as ApiKeyFilter['status'];
  if (type) filter.type = type as ApiKeyFilter['type'];
  const [field, direction] = (order || 'CREATED_AT:DESC').split(':') as [ApiKeyOrderField, OrderDirection];
  const variables: ApiKeysQueryVariables = { filter, orderBy: { field, direction }, ...page };
  if ('before' in page && page.before) variables.last = PAGE_SIZE;
  else variables.first = PAGE_SIZE;
  const keys = useQuery(ApiKeysDocument, read.allowed ? variables : null);
  // Any change of filter or order starts again at the first page.
  const refilter =
    <T,>(set: (value: T) => void) =>
    (value: T) => {
      set(value);
      setPage({});
    };

  return (
    <section aria-labelledby="keys-title">
      <div className="page-head">
        <h1 id="keys-title">API keys</h1>
        <Guarded className="primary" allowed={create.allowed} reason={create.reason} onClick={() => setCreating(true)}>
          Create key
        </Guarded>
      </div>
      {!read.allowed ? (
        <p className="reason" role="note">
          You cannot see this organization’s keys: {read.reason}
        </p>
      ) : (
        <>
          <form className="toolbar" role="search" aria-label="Filter keys" onSubmit={(e) => e.preventDefault()}>
            <label>
              Search{' '}
              <input type="search" value={search} placeholder="Name or prefix" onChange={(e) => refilter(setSearch)(e.target.value)} />
            </label>
            <label>
              Status{' '}
              <select value={status} onChange={(e) => refilter(setStatus)(e.target.value)}>
                <option value="">Any</option>
                {STATUSES.map((s) => (
                  <option key={s}>{s}</option>
                ))}
              </select>
            </label>
            <label>
              Type{' '}
              <select value={type} onChange={(e) => refilter(setType)(e.target.value)}>
                <option value="">Any</option>
                {TYPES.map((t) => (
                  <option key={t}>{t}</option>
                ))}
              </select>
            </label>
            <label>
              Order{' '}
              <select value={order || 'CREATED_AT:DESC'} onChange={(e) => refilter(setOrder)(e.target.value)}>
                {ORDERS.map((o) => (
                  <option key={o.value} value={o.value}>
                    {o.label}
                  </option>
                ))}
              </select>
            </label>
          </form>
          <ErrorText message={keys.data ? '' : (keys.errors[0]?.message ?? '')} />
          {keys.data && (
            <KeysTable
              connection={keys.data.apiKeys}
              order={{ field, direction }}
              filtered={Object.keys(filter).length > 0}
              onChanged={keys.reload}
              onSecret={setSecret}
              onPage={setPage}
            />
          )}
        </>
      )}
      {creating && (
        <CreateKeyDialog
          onClose={() => setCreating(false)}
          onCreated={(created) => {
            setCreating(false);
            setSecret(created);
            setPage({});
            keys.reload();
          }}
        />
      )}
      {secret && <SecretDialog name={secret.name} secret={secret.secret} onClose={() => setSecret(null)} />}
    </section>
  );
}
