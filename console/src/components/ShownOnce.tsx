import type { ReactNode } from 'react';
import { Dialog } from './Dialog';

/**
 * A secret shown once (an API key, a webhook's signing secret): it lives only in this dialog's
 * props, the mutation's answer, and is gone when the dialog closes. Nothing stores or logs it.
 */
export function ShownOnce(props: { title: string; warning: string; label: string; secret: string; copy: ReactNode; onClose: () => void }) {
  return (
    <Dialog title={props.title} onClose={props.onClose}>
      <p className="warning" role="note">
        {props.warning}
      </p>
      <p>
        <code className="secret" aria-label={props.label}>
          {props.secret}
        </code>
      </p>
      <p className="actions">{props.copy}</p>
      <p className="actions">
        <button type="button" onClick={props.onClose}>
          I have copied it
        </button>
      </p>
    </Dialog>
  );
}
