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
  return (
    <>
      <Guarded allowed={allowed} reason={reason} className={danger ? 'danger' : undefined} onClick={() => setOpen(true)}>
        {label}
      </Guarded>
      {open && (
        <ConfirmDialog title={title} submitLabel={label} danger={danger} onConfirm={onConfirm} onClose={() => setOpen(false)}>
          {children}
        </ConfirmDialog>
      )}
    </>
  );
}

interface DialogProps {
  title: string;
  submitLabel: string;
  danger?: boolean;
  children: ReactNode;
  onConfirm(): Promise<unknown>;
  /** Cancel, Escape, or the change made. */
  onClose(): void;
}

/**
 * The question itself, for a control that is not a plain button (a switch, a select): the change
 * runs only on submit; Cancel or Escape leaves everything as it was.
 */
export function ConfirmDialog({ title, submitLabel, danger, children, onConfirm, onClose }: DialogProps) {
  const action = useAction();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void action.run(onConfirm).then((ok) => ok && onClose());
  };
  return (
    <Dialog title={title} onClose={onClose}>
      <form onSubmit={submit}>
        {children}
        <FormActions
          error={action.error}
          busy={action.busy}
          submitLabel={submitLabel}
          kind={danger ? 'danger' : 'primary'}
          onCancel={onClose}
        />
      </form>
    </Dialog>
  );
}
