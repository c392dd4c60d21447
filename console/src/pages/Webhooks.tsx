import { useState, type FormEvent } from 'react';
import { mutate } from '../api';
import { ConfirmAction } from '../components/ConfirmAction';
import { ErrorText } from '../components/Dialog';
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
import { useSearchParam } from '../router';
import { reasonOf, useScope } from '../session';
import { EventChecklist } from './webhooks/EventChecklist';
import { SigningSecretDialog } from './webhooks/SigningSecretDialog';
import { WebhookDetail } from './webhooks/WebhookDetail';
import '../components/stack-table.css';
import './webhooks/webhooks.css';

/**
 * Webhooks: create (events ticked from the catalog, the signing secret shown once with Copy),
 * enable/disable, send a test ping, delete; open one (`?webhook=<id>`) to edit it, rotate its
 * secret and read its delivery log.
 */
export function Webhooks() {
  const read = useScope('webhooks:read');
  const create = useScope('webhooks:create');
  const hooks = useQuery(WebhooksDocument, read.allowed ? {} : null);
  const [openId, setOpenId] = useSearchParam('webhook');
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState<string[]>([]);
  const [secret, setSecret] = useState('');
  const [note, setNote] = useState('');
  const action = useAction();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void action.run(async () => {
      const { createWebhook } = await mutate(CreateWebhookDocument, { input: { url: url.trim(), events } });
      setUrl('');
      setEvents([]);
      setSecret(createWebhook.secret);
      setOpenId(createWebhook.webhook.id);
      hooks.reload();
    });
  };
  const run = (fn: () => Promise<unknown>) =>
    action.run(async () => {
      await fn();
      hooks.reload();
    });
  const open = hooks.data?.webhooks.find((w) => w.id === openId);
  return (
    <section aria-labelledby="webhooks-title">
      <h1 id="webhooks-title">Webhooks</h1>
      <form aria-label="Create a webhook" onSubmit={submit}>
        <p>
          <label className="wide-field">
            URL{' '}
            <input
              type="url"
              required
              value={url}
              placeholder="https://hooks.example.com/keygate"
              onChange={(e) => setUrl(e.target.value)}
            />
          </label>
        </p>
        <EventChecklist legend="Events to send" chosen={events} onChange={setEvents} />
        <Guarded
          type="submit"
          className="primary"
          allowed={create.allowed}
          disabled={action.busy || events.length === 0}
          reason={create.reason}
        >
          Create webhook
        </Guarded>
        {create.allowed && events.length === 0 && <span className="hint"> Tick at least one event.</span>}
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
          <table className="stack" aria-label="Webhooks">
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
                <tr key={w.id} aria-current={w.id === openId ? 'true' : undefined}>
                  <th scope="row" className="url">
                    {w.url}
                  </th>
                  <td data-label="Events" className="wrap">
                    {w.events.join(', ')}
                  </td>
                  <td data-label="Enabled">
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
                  <td data-label="Last delivery">
                    {w.lastDeliveryAt ? `${moment(w.lastDeliveryAt)} (${w.lastDeliveryStatus ?? 'no answer'})` : 'Never'}
                  </td>
                  <td data-label="Failures in a row" className="num">
                    {w.consecutiveFailures}
                  </td>
                  <td data-label="Actions" className="row-actions">
                    <button type="button" aria-label={`Open ${w.url}`} onClick={() => setOpenId(w.id)}>
                      Open
                    </button>
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
                        if (w.id === openId) setOpenId('');
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
      {open && <WebhookDetail key={open.id} hook={open} onChanged={hooks.reload} onClose={() => setOpenId('')} />}
      {openId && hooks.data && !open && <ErrorText message="No such webhook (deleted, or in another organization)." />}
      {secret && <SigningSecretDialog title="Webhook signing secret" secret={secret} onClose={() => setSecret('')} />}
    </section>
  );
}
