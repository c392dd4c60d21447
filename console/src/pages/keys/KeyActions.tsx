import { useState, type FormEvent } from 'react';
import { mutate } from '../../api';
import { ConfirmDialog } from '../../components/ConfirmAction';
import { Dialog, ErrorText, FormActions } from '../../components/Dialog';
import { Guarded } from '../../components/Guarded';
import { useAction } from '../../data';
import {
  DeleteApiKeyDocument,
  RevokeApiKeyDocument,
  RotateApiKeyDocument,
  SetApiKeyStatusDocument,
  type KeyRowFragment,
} from '../../generated/graphql';
import { reasonOf } from '../../session';
import type { Created } from './CreateKeyDialog';
import { EditKeyDialog } from './EditKeyDialog';

export interface KeyEvents {
  onChanged(): void;
  onSecret(created: Created): void;
  onDeleted(): void;
}

/**
 * ACTIVE ⇄ INACTIVE, as a switch; revoked and expired keys show their status without one.
 * Deactivating asks first (every client of the key gets 401 at once); activating does not.
 * Allowed and disabled by the API's own `viewerCan.disable` / `viewerCan.enable`.
 */
export function StatusToggle({ apiKey, onChanged }: { apiKey: KeyRowFragment; onChanged: () => void }) {
  const action = useAction();
  const [confirming, setConfirming] = useState(false);
  const { status, viewerCan } = apiKey;
  const switchable = status === 'ACTIVE' || status === 'INACTIVE';
  if (!switchable) return <span className={`status ${status.toLowerCase()}`}>{status}</span>;
  const active = status === 'ACTIVE';
  const set = (to: 'ACTIVE' | 'INACTIVE') => async () => {
    await mutate(SetApiKeyStatusDocument, { id: apiKey.id, status: to });
    onChanged();
  };
  return (
    <>
      <Guarded
        role="switch"
        aria-checked={active}
        aria-label={`Active: ${apiKey.name}`}
        className={`switch ${status.toLowerCase()}`}
        allowed={active ? viewerCan.disable : viewerCan.enable}
        disabled={action.busy}
        reason={reasonOf(viewerCan.reasons, active ? 'disable' : 'enable')}
        onClick={() => (active ? setConfirming(true) : void action.run(set('ACTIVE')))}
      >
        {status}
      </Guarded>
      <ErrorText message={action.error} />
      {confirming && (
        <ConfirmDialog
          title={`Deactivate ${apiKey.name}`}
          submitLabel="Deactivate"
          danger
          onConfirm={set('INACTIVE')}
          onClose={() => setConfirming(false)}
        >
          <p className="warning">Every request with this key is refused (401 INACTIVE) from now on, until you activate it again.</p>
        </ConfirmDialog>
      )}
    </>
  );
}

type Open = 'edit' | 'rotate' | 'revoke' | 'delete' | null;

/**
 * Edit, rotate, revoke and delete, each behind a dialog, each disabled with the API's reason. A
 * revoked key offers only delete: nothing else can change it any more.
 */
export function KeyActions({ apiKey, events, editable }: { apiKey: KeyRowFragment; events: KeyEvents; editable?: boolean }) {
  const [open, setOpen] = useState<Open>(null);
  const can = apiKey.viewerCan;
  const close = () => setOpen(null);
  const revoked = apiKey.status === 'REVOKED';
  return (
    <div className="row-actions">
      {editable && !revoked && (
        <Guarded allowed={can.update} reason={reasonOf(can.reasons, 'update')} onClick={() => setOpen('edit')}>
          Edit
        </Guarded>
      )}
      {!revoked && (
        <>
          <Guarded allowed={can.rotate} reason={reasonOf(can.reasons, 'rotate')} onClick={() => setOpen('rotate')}>
            Rotate
          </Guarded>
          <Guarded allowed={can.revoke} reason={reasonOf(can.reasons, 'revoke')} onClick={() => setOpen('revoke')} className="danger">
            Revoke
          </Guarded>
        </>
      )}
      <Guarded allowed={can.delete} reason={reasonOf(can.reasons, 'delete')} onClick={() => setOpen('delete')} className="danger">
        Delete
      </Guarded>
      {open === 'edit' && <EditKeyDialog apiKey={apiKey} onClose={close} onSaved={events.onChanged} />}
      {open === 'rotate' && <RotateDialog apiKey={apiKey} onClose={close} events={events} />}
      {open === 'revoke' && <RevokeDialog apiKey={apiKey} onClose={close} events={events} />}
      {open === 'delete' && <DeleteDialog apiKey={apiKey} onClose={close} events={events} />}
    </div>
  );
}

interface DialogProps {
  apiKey: KeyRowFragment;
  onClose(): void;
  events: KeyEvents;
}

const GRACE_PERIODS = [
  { seconds: 0, label: 'Now: the old secret stops working at once' },
  { seconds: 3600, label: 'After 1 hour' },
  { seconds: 86_400, label: 'After 24 hours' },
  { seconds: 604_800, label: 'After 7 days' },
];

function RotateDialog({ apiKey, onClose, events }: DialogProps) {
  const [grace, setGrace] = useState(0);
  const action = useAction();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void action.run(async () => {
      const { rotateApiKey } = await mutate(RotateApiKeyDocument, { id: apiKey.id, gracePeriodSeconds: grace });
      onClose();
      events.onSecret({ id: apiKey.id, name: rotateApiKey.apiKey.name, secret: rotateApiKey.secret });
      events.onChanged();
    });
  };
  return (
    <Dialog title={`Rotate ${apiKey.name}`} onClose={onClose}>
      <form onSubmit={submit}>
        <p>A new secret replaces the current one; the key keeps its name, permissions and history.</p>
        <fieldset>
          <legend>The old secret stops working</legend>
          {GRACE_PERIODS.map((g) => (
            <label key={g.seconds}>
              <input type="radio" name="grace" checked={grace === g.seconds} onChange={() => setGrace(g.seconds)} /> {g.label}
            </label>
          ))}
        </fieldset>
        <FormActions error={action.error} busy={action.busy} submitLabel="Rotate key" onCancel={onClose} />
      </form>
    </Dialog>
  );
}

function RevokeDialog({ apiKey, onClose, events }: DialogProps) {
  const [reason, setReason] = useState('');
  const action = useAction();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void action.run(async () => {
      await mutate(RevokeApiKeyDocument, { id: apiKey.id, reason: reason.trim() || null });
      onClose();
      events.onChanged();
    });
  };
  return (
    <Dialog title={`Revoke ${apiKey.name}`} onClose={onClose}>
      <form onSubmit={submit}>
        <p className="warning">Revoking is permanent: every request with this key is refused from now on.</p>
        <p>
          <label>
            Reason <input name="reason" autoFocus maxLength={500} value={reason} onChange={(e) => setReason(e.target.value)} />
          </label>
        </p>
        <FormActions error={action.error} busy={action.busy} submitLabel="Revoke key" kind="danger" onCancel={onClose} />
      </form>
    </Dialog>
  );
}

function DeleteDialog({ apiKey, onClose, events }: DialogProps) {
  const action = useAction();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void action.run(async () => {
      await mutate(DeleteApiKeyDocument, { id: apiKey.id });
      onClose();
      events.onDeleted();
    });
  };
  return (
    <Dialog title={`Delete ${apiKey.name}`} onClose={onClose}>
      <form onSubmit={submit}>
        <p className="warning">The key is gone for good, from every list and lookup. The audit log keeps its name and prefix.</p>
        <FormActions error={action.error} busy={action.busy} submitLabel="Delete key" kind="danger" onCancel={onClose} />
      </form>
    </Dialog>
  );
}
