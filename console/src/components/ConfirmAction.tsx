import { useState, type FormEvent, type ReactNode } from 'react';
import { useAction } from '../data';
import { Dialog, FormActions } from './Dialog';
import { Guarded } from './Guarded';

interface Props {
  label: string;
  title: string;
  /** Disabled with this reason when not allowed. */
  allowed: boolean;
  reason: string;
  danger?: boolean;
  children: ReactNode;
  onConfirm(): Promise<unknown>;
}

/** A button that asks first, in a dialog, and shows the API's refusal there if the change fails. */
export function ConfirmAction({ label, title, allowed, reason, danger, children, onConfirm }: Props) {
  const [open, setOpen] = useState(false);
  const action = useAction();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void action.run(onConfirm).then((ok) => ok && setOpen(false));
  };
  return (
    <>
      <Guarded allowed={allowed} reason={reason} className={danger ? 'danger' : undefined} onClick={() => setOpen(true)}>
        {label}
      </Guarded>
      {open && (
        <Dialog title={title} onClose={() => setOpen(false)}>
          <form onSubmit={submit}>
            {children}
            <FormActions
              error={action.error}
              busy={action.busy}
              submitLabel={label}
              kind={danger ? 'danger' : 'primary'}
              onCancel={() => setOpen(false)}
            />
          </form>
        </Dialog>
      )}
    </>
  );
}
