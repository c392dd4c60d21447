import { useState, type FormEvent } from 'react';
import { mutate } from '../api';
import { ErrorText } from '../components/Dialog';
import { Guarded } from '../components/Guarded';
import { useAction } from '../data';
import { CreateShortLinkDocument, type LinkDomainsQuery } from '../generated/graphql';
import { useScope } from '../session';
import { defaultHost } from '../short-url';

/**
 * The create form: URL, optional slug, and the domain it answers on: keygate's own host, or one
 * of the organization's verified custom domains (an unverified one would not redirect yet).
 */
export function ShortLinkCreate({ domains, onCreated }: { domains: LinkDomainsQuery['domains']; onCreated: (slug: string) => void }) {
  const create = useScope('shortLinks:create');
  const domainsRead = useScope('domains:read');
  const verified = domains.filter((d) => d.verified);
  const [url, setUrl] = useState('');
  const [slug, setSlug] = useState('');
  const [domainId, setDomainId] = useState('');
  const action = useAction();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void action.run(async () => {
      const created = await mutate(CreateShortLinkDocument, {
        input: { url: url.trim(), slug: slug.trim() || null, domainId: domainId || null },
      });
      setUrl('');
      setSlug('');
      onCreated(created.createShortLink.slug);
    });
  };
  return (
    <>
      <form className="toolbar" aria-label="Create a short link" onSubmit={submit}>
        <label>
          URL <input type="url" required value={url} placeholder="https://example.com/launch" onChange={(e) => setUrl(e.target.value)} />
        </label>
        <label>
          Domain{' '}
          <select value={domainId} onChange={(e) => setDomainId(e.target.value)}>
            <option value="">{defaultHost()} (default)</option>
            {verified.map((d) => (
              <option key={d.id} value={d.id}>
                {d.hostname}
              </option>
            ))}
          </select>
        </label>
        <label>
          Slug <input value={slug} placeholder="optional" onChange={(e) => setSlug(e.target.value)} />
        </label>
        <Guarded type="submit" className="primary" allowed={create.allowed} disabled={action.busy} reason={create.reason}>
          Create link
        </Guarded>
      </form>
      {!domainsRead.allowed && <p className="reason">Only the default domain: {domainsRead.reason}</p>}
      <ErrorText message={action.error} />
    </>
  );
}
