import { useState, type FormEvent } from 'react';
import { mutate } from '../../api';
import { ConfirmAction } from '../../components/ConfirmAction';
import { ErrorText } from '../../components/Dialog';
import { Guarded } from '../../components/Guarded';
import { useAction } from '../../data';
import { RotateWebhookSecretDocument, UpdateWebhookDocument, type WebhooksQuery } from '../../generated/graphql';
import { reasonOf } from '../../session';
import { DeliveryLog } from './DeliveryLog';
import { EventChecklist } from './EventChecklist';
import { SigningSecretDialog } from './SigningSecretDialog';

type Hook = WebhooksQuery['webhooks'][number];

/** One endpoint, opened from the list (`?webhook=<id>`): edit its URL and events, rotate its secret, its delivery log. */
export function WebhookDetail({ hook, onChanged, onClose }: { hook: Hook; onChanged: () => void; onClose: () => void }) {
  const [url, setUrl] = useState(hook.url);
  const [events, setEvents] = useState(hook.events);
  const [secret, setSecret] = useState('');
  const [saved, setSaved] = useState('');
  const save = useAction();
  const canUpdate = hook.viewerCan.update;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setSaved('');
    void save.run(async () => {
      const { updateWebhook } = await mutate(UpdateWebhookDocument, { id: hook.id, input: { url: url.trim(), events } });
      setSaved(`Saved: ${updateWebhook.events.length} ${updateWebhook.events.length === 1 ? 'event' : 'events'}.`);
      onChanged();
    });
  };
  return (
    <section className="panel" aria-labelledby="webhook-title">
      <div className="page-head">
        <h2 id="webhook-title" className="url">
          {hook.url}
        </h2>
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
      <form aria-label="Edit the webhook" onSubmit={submit}>
        <p>
          <label className="wide-field">
            URL <input type="url" required value={url} onChange={(e) => setUrl(e.target.value)} />
          </label>
        </p>
        <EventChecklist legend="Events" chosen={events} onChange={setEvents} />
        <ErrorText message={save.error} />
        <p className="actions">
          <Guarded
            type="submit"
            className="primary"
            allowed={canUpdate}
            reason={reasonOf(hook.viewerCan.reasons, 'update')}
            disabled={save.busy || events.length === 0}
          >
            Save changes
          </Guarded>
          <span role="status">{saved}</span>
        </p>
      </form>
      <h3>Signing secret</h3>
      <p className="hint">Rotating makes a new secret at once; the old one stops signing deliveries.</p>
      <ConfirmAction
        label="Rotate secret"
        title={`Rotate the signing secret of ${hook.url}`}
        allowed={hook.viewerCan.rotateSecret}
        reason={reasonOf(hook.viewerCan.reasons, 'rotateSecret')}
        onConfirm={async () => {
          const { rotateWebhookSecret } = await mutate(RotateWebhookSecretDocument, { id: hook.id });
          setSecret(rotateWebhookSecret.secret);
        }}
      >
        <p>Deliveries are signed with the new secret from now on: update your endpoint with it before the next one.</p>
      </ConfirmAction>
      <DeliveryLog hook={hook} onChanged={onChanged} />
      {secret && <SigningSecretDialog title="New signing secret" secret={secret} onClose={() => setSecret('')} />}
    </section>
  );
}
