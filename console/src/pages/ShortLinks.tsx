import { useState, type FormEvent } from 'react';
import { mutate } from '../api';
import { ConfirmAction } from '../components/ConfirmAction';
import { ErrorText } from '../components/Dialog';
import { Guarded } from '../components/Guarded';
import { useAction, useQuery } from '../data';
import { day } from '../format';
import { CreateShortLinkDocument, DeleteShortLinkDocument, ShortLinksDocument } from '../generated/graphql';
import { reasonOf, useScope } from '../session';

/** Short links: create (URL, optional slug), list with search, delete. */
export function ShortLinks() {
  const read = useScope('shortLinks:read');
  const create = useScope('shortLinks:create');
  const [search, setSearch] = useState('');
  const [cursors, setCursors] = useState<string[]>([]);
  const links = useQuery(
    ShortLinksDocument,
    read.allowed ? { first: 20, after: cursors[cursors.length - 1], filter: search.trim() ? { search: search.trim() } : {} } : null,
  );
  const [url, setUrl] = useState('');
  const [slug, setSlug] = useState('');
  const action = useAction();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void action.run(async () => {
      await mutate(CreateShortLinkDocument, { input: { url: url.trim(), slug: slug.trim() || null } });
      setUrl('');
      setSlug('');
      links.reload();
    });
  };
  const connection = links.data?.shortLinks;
  return (
    <section aria-labelledby="links-title">
      <h1 id="links-title">Short links</h1>
      <form className="toolbar" aria-label="Create a short link" onSubmit={submit}>
        <label>
          URL <input type="url" required value={url} placeholder="https://example.com/launch" onChange={(e) => setUrl(e.target.value)} />
        </label>
        <label>
          Slug <input value={slug} placeholder="optional" onChange={(e) => setSlug(e.target.value)} />
        </label>
        <Guarded type="submit" className="primary" allowed={create.allowed} disabled={action.busy} reason={create.reason}>
          Create link
        </Guarded>
      </form>
      <ErrorText message={action.error} />
      {!read.allowed && (
        <p className="reason" role="note">
          You cannot see the links: {read.reason}
        </p>
      )}
      <p>
        <label>
          Search{' '}
          <input
            type="search"
            value={search}
            onChange={(e) => {
              setSearch(e.target.value);
              setCursors([]);
            }}
          />
        </label>
      </p>
      <ErrorText message={links.data ? '' : (links.errors[0]?.message ?? '')} />
      {connection && (
        <>
          <table>
            <caption>
              {connection.totalCount} {connection.totalCount === 1 ? 'link' : 'links'}
            </caption>
            <thead>
              <tr>
                <th scope="col">Slug</th>
                <th scope="col">URL</th>
                <th scope="col">Domain</th>
                <th scope="col">Tags</th>
                <th scope="col">Created</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {connection.nodes.map((link) => (
                <tr key={link.id}>
                  <th scope="row">{link.slug}</th>
                  <td className="url">{link.url}</td>
                  <td>{link.domain?.hostname ?? 'default'}</td>
                  <td>{link.tags.join(', ')}</td>
                  <td>{day(link.createdAt)}</td>
                  <td>
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
                  </td>
                </tr>
              ))}
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
