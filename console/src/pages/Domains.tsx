import { useState, type FormEvent } from 'react';
import { mutate } from '../api';
import { ConfirmAction } from '../components/ConfirmAction';
import { ErrorText } from '../components/Dialog';
import { Guarded } from '../components/Guarded';
import { useAction, useQuery } from '../data';
import { day } from '../format';
import { CreateDomainDocument, DeleteDomainDocument, DomainsDocument, VerifyDomainDocument } from '../generated/graphql';
import { reasonOf, useScope } from '../session';

/** Custom domains: add, verify (after publishing the TXT record), delete. */
export function Domains() {
  const read = useScope('domains:read');
  const create = useScope('domains:create');
  const domains = useQuery(DomainsDocument, read.allowed ? {} : null);
  const [hostname, setHostname] = useState('');
  const action = useAction();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void action.run(async () => {
      await mutate(CreateDomainDocument, { hostname: hostname.trim() });
      setHostname('');
      domains.reload();
    });
  };
  const verify = (id: string) =>
    action.run(async () => {
      await mutate(VerifyDomainDocument, { id });
      domains.reload();
    });
  return (
    <section aria-labelledby="domains-title">
      <h1 id="domains-title">Domains</h1>
      <form className="toolbar" aria-label="Add a domain" onSubmit={submit}>
        <label>
          Hostname <input required value={hostname} placeholder="go.example.com" onChange={(e) => setHostname(e.target.value)} />
        </label>
        <Guarded type="submit" className="primary" allowed={create.allowed} disabled={action.busy} reason={create.reason}>
          Add domain
        </Guarded>
      </form>
      <ErrorText message={action.error} />
      {!read.allowed && (
        <p className="reason" role="note">
          You cannot see the domains: {read.reason}
        </p>
      )}
      <ErrorText message={domains.data ? '' : (domains.errors[0]?.message ?? '')} />
      {domains.data &&
        (domains.data.domains.length === 0 ? (
          <p className="empty">No custom domains yet.</p>
        ) : (
          <table className="stack">
            <thead>
              <tr>
                <th scope="col">Hostname</th>
                <th scope="col">Verified</th>
                <th scope="col">TXT record</th>
                <th scope="col">Links</th>
                <th scope="col">Added</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {domains.data.domains.map((d) => (
                <tr key={d.id}>
                  <th scope="row">{d.hostname}</th>
                  <td data-label="Verified">{d.verified ? 'Yes' : 'No'}</td>
                  <td data-label="TXT record" className="wrap">
                    <code>
                      {d.verificationRecord.name} = {d.verificationRecord.value}
                    </code>
                  </td>
                  <td className="num" data-label="Links">
                    {d.linkCount}
                  </td>
                  <td data-label="Added">{day(d.createdAt)}</td>
                  <td className="row-actions">
                    <Guarded
                      allowed={d.viewerCan.verify}
                      reason={reasonOf(d.viewerCan.reasons, 'verify')}
                      onClick={() => void verify(d.id)}
                    >
                      Verify
                    </Guarded>
                    <ConfirmAction
                      label="Delete"
                      title={`Delete ${d.hostname}`}
                      danger
                      allowed={d.viewerCan.delete}
                      reason={reasonOf(d.viewerCan.reasons, 'delete')}
                      onConfirm={async () => {
                        await mutate(DeleteDomainDocument, { id: d.id, force: d.linkCount > 0 });
                        domains.reload();
                      }}
                    >
                      <p>{d.linkCount > 0 ? `Its ${d.linkCount} links are deleted with it.` : 'No link uses it.'}</p>
                    </ConfirmAction>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ))}
    </section>
  );
}
