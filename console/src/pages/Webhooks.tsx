import { useState, type FormEvent } from 'react';
import { mutate } from '../api';
import { ConfirmAction } from '../components/ConfirmAction';
import { Dialog, ErrorText } from '../components/Dialog';
import { Guarded } from '../components/Guarded';
import { useAction, useQuery } from '../data';
import { moment } from '../format';
import {
  CreateWebhookDocument,
  DeleteWebhookDocument,
  SetWebhookEnabledDocument,
  TestWebhookDocument,
  WebhooksDocument,
} from '../generated/graphql';
import { reasonOf, useScope } from '../session';

/** Webhooks: create (the signing secret shown once), enable/disable, send a test ping, delete. */
export function Webhooks() {
  const read = useScope('webhooks:read');
  const create = useScope('webhooks:create');
  const hooks = useQuery(WebhooksDocument, read.allowed ? {} : null);
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState('apiKey.revoked, apiKey.created');
  const [secret, setSecret] = useState('');
  const [note, setNote] = useState('');
  const action = useAction();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void action.run(async () => {
      const list = events
        .split(',')
        .map((e) => e.trim())
        .filter(Boolean);
      const { createWebhook } = await mutate(CreateWebhookDocument, { input: { url: url.trim(), events: list } });
      setUrl('');
      setSecret(createWebhook.secret);
      hooks.reload();
    });
  };
  const run = (fn: () => Promise<unknown>) =>
    action.run(async () => {
      await fn();
      hooks.reload();
    });
  return (
    <section aria-labelledby="webhooks-title">
      <h1 id="webhooks-title">Webhooks</h1>
      <form className="toolbar" aria-label="Create a webhook" onSubmit={submit}>
        <label>
          URL{' '}
          <input type="url" required value={url} placeholder="https://hooks.example.com/keygate" onChange={(e) => setUrl(e.target.value)} />
        </label>
        <label>
          Events <input required value={events} onChange={(e) => setEvents(e.target.value)} />
        </label>
        <Guarded type="submit" className="primary" allowed={create.allowed} disabled={action.busy} reason={create.reason}>
          Create webhook
        </Guarded>
      </form>
      <ErrorText message={action.error} />
      <p role="status">{note}</p>
      {!read.allowed && (
        <p className="reason" role="note">
          You cannot see the webhooks: {read.reason}
        </p>
      )}
      <ErrorText message={hooks.data ? '' : (hooks.errors[0]?.message ?? '')} />
      {hooks.data &&
        (hooks.data.webhooks.length === 0 ? (
          <p className="empty">No webhooks yet.</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th scope="col">URL</th>
                <th scope="col">Events</th>
                <th scope="col">Enabled</th>
                <th scope="col">Last delivery</th>
                <th scope="col">Failures in a row</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {hooks.data.webhooks.map((w) => (
                <tr key={w.id}>
                  <th scope="row" className="url">
                    {w.url}
                  </th>
                  <td>{w.events.join(', ')}</td>
                  <td>
                    <Guarded
                      role="switch"
                      aria-checked={w.enabled}
                      aria-label={`Enabled: ${w.url}`}
                      className={`switch ${w.enabled ? 'active' : 'inactive'}`}
                      allowed={w.viewerCan.update}
                      reason={reasonOf(w.viewerCan.reasons, 'update')}
                      onClick={() => void run(() => mutate(SetWebhookEnabledDocument, { id: w.id, enabled: !w.enabled }))}
                    >
                      {w.enabled ? 'ON' : 'OFF'}
                    </Guarded>
                  </td>
                  <td>{w.lastDeliveryAt ? `${moment(w.lastDeliveryAt)} (${w.lastDeliveryStatus ?? 'no answer'})` : 'Never'}</td>
                  <td className="num">{w.consecutiveFailures}</td>
                  <td className="row-actions">
                    <Guarded
                      allowed={w.viewerCan.test}
                      reason={reasonOf(w.viewerCan.reasons, 'test')}
                      onClick={() =>
                        void run(async () => {
                          const { testWebhook } = await mutate(TestWebhookDocument, { id: w.id });
                          setNote(
                            testWebhook.succeeded
                              ? `Ping delivered (${testWebhook.statusCode}).`
                              : `Ping failed: ${testWebhook.error ?? testWebhook.statusCode}`,
                          );
                        })
                      }
                    >
                      Send test
                    </Guarded>
                    <ConfirmAction
                      label="Delete"
                      title={`Delete the webhook to ${w.url}`}
                      danger
                      allowed={w.viewerCan.delete}
                      reason={reasonOf(w.viewerCan.reasons, 'delete')}
                      onConfirm={async () => {
                        await mutate(DeleteWebhookDocument, { id: w.id });
                        hooks.reload();
                      }}
                    >
                      <p>No more events are sent to this endpoint.</p>
                    </ConfirmAction>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ))}
      {secret && (
        <Dialog title="Webhook signing secret" onClose={() => setSecret('')}>
          <p className="warning">Copy this signing secret now. It will not be shown again.</p>
          <p>
            <code className="secret">{secret}</code>
          </p>
          <p className="actions">
            <button type="button" onClick={() => setSecret('')}>
              I have copied it
            </button>
          </p>
        </Dialog>
      )}
    </section>
  );
}
