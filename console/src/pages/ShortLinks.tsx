import { useState } from 'react';
import { mutate } from '../api';
import { ConfirmAction } from '../components/ConfirmAction';
import { CopyButton } from '../components/CopyButton';
import { ErrorText } from '../components/Dialog';
import { useQuery } from '../data';
import { count, day } from '../format';
import { DeleteShortLinkDocument, LinkDomainsDocument, ShortLinksDocument } from '../generated/graphql';
import { Link, useSearchParam } from '../router';
import { reasonOf, useScope } from '../session';
import { shortUrl } from '../short-url';
import { ShortLinkCreate } from './ShortLinkCreate';

/**
 * Short links: create (URL, slug, domain), list with their full short URL (Copy), clicks and a
 * way to their stats; search, domain and tag filters kept in the URL (?q=, ?domain=, ?tag=).
 */
export function ShortLinks() {
  const read = useScope('shortLinks:read');
  const stats = useScope('stats:read');
  const domainsRead = useScope('domains:read');
  const [search, setSearch] = useSearchParam('q');
  const [domain, setDomain] = useSearchParam('domain');
  const [tag, setTag] = useSearchParam('tag');
  const [cursors, setCursors] = useState<string[]>([]);
  const filter = {
    ...(search.trim() && { search: search.trim() }),
    ...(domain && { domainId: domain }),
    ...(tag.trim() && { tag: tag.trim() }),
  };
  const links = useQuery(
    ShortLinksDocument,
    read.allowed ? { first: 20, after: cursors[cursors.length - 1], filter, withClicks: stats.allowed } : null,
  );
  const domains = useQuery(LinkDomainsDocument, domainsRead.allowed ? {} : null);
  const [created, setCreated] = useState('');
  const filtered = (set: (value: string) => void) => (value: string) => {
    set(value);
    setCursors([]);
  };
  const connection = links.data?.shortLinks;
  return (
    <section aria-labelledby="links-title">
      <h1 id="links-title">Short links</h1>
      <ShortLinkCreate
        domains={domains.data?.domains ?? []}
        onCreated={(slug) => {
          setCreated(`Created /${slug}.`);
          links.reload();
        }}
      />
      <p role="status" className="hint">
        {created}
      </p>
      {!read.allowed && (
        <p className="reason" role="note">
          You cannot see the links: {read.reason}
        </p>
      )}
      <div className="toolbar" role="search" aria-label="Filter links">
        <label>
          Search <input type="search" value={search} onChange={(e) => filtered(setSearch)(e.target.value)} />
        </label>
        <label>
          Domain{' '}
          <select value={domain} onChange={(e) => filtered(setDomain)(e.target.value)}>
            <option value="">Any</option>
            {(domains.data?.domains ?? []).map((d) => (
              <option key={d.id} value={d.id}>
                {d.hostname}
              </option>
            ))}
          </select>
        </label>
        <label>
          Tag <input value={tag} onChange={(e) => filtered(setTag)(e.target.value)} />
        </label>
      </div>
      <ErrorText message={links.data ? '' : (links.errors[0]?.message ?? '')} />
      {!stats.allowed && <p className="reason">No clicks shown: {stats.reason}</p>}
      {connection && (
        <>
          <table className="stack">
            <caption>
              {connection.totalCount} {connection.totalCount === 1 ? 'link' : 'links'}
            </caption>
            <thead>
              <tr>
                <th scope="col">Short URL</th>
                <th scope="col">Destination</th>
                <th scope="col">Clicks</th>
                <th scope="col">Tags</th>
                <th scope="col">Created</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {connection.nodes.map((link) => {
                const full = shortUrl(link);
                return (
                  <tr key={link.id}>
                    <th scope="row" data-label="Short URL">
                      <span className="url">{full}</span>
                      {link.domain && !link.domain.verified && <span className="reason"> (domain not verified: no redirect yet)</span>}{' '}
                      <CopyButton text={full} what={full} />
                    </th>
                    <td className="url" data-label="Destination">
                      {link.url}
                    </td>
                    <td className="num" data-label="Clicks">
                      {link.clicks == null ? '—' : count(link.clicks)}
                    </td>
                    <td data-label="Tags">{link.tags.join(', ')}</td>
                    <td data-label="Created">{day(link.createdAt)}</td>
                    <td data-label="Actions">
                      <span className="row-actions">
                        <Link to={`/stats?link=${link.id}`} aria-label={`Stats of /${link.slug}`}>
                          Stats
                        </Link>
                        <ConfirmAction
                          label="Delete"
                          title={`Delete /${link.slug}`}
                          danger
                          allowed={link.viewerCan.delete}
                          reason={reasonOf(link.viewerCan.reasons, 'delete')}
                          onConfirm={async () => {
                            await mutate(DeleteShortLinkDocument, { id: link.id });
                            links.reload();
                          }}
                        >
                          <p>/{link.slug} stops redirecting at once.</p>
                        </ConfirmAction>
                      </span>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          <nav className="pager" aria-label="Pages of links">
            <button type="button" disabled={cursors.length === 0} onClick={() => setCursors(cursors.slice(0, -1))}>
              Previous page
            </button>
            <button
              type="button"
              disabled={!connection.pageInfo.hasNextPage}
              onClick={() => setCursors([...cursors, connection.pageInfo.endCursor!])}
            >
              Next page
            </button>
          </nav>
        </>
      )}
    </section>
  );
}
