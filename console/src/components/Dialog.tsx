import { useEffect, useId, useRef, type ReactNode } from 'react';

/**
 * A modal dialog on the platform's own <dialog> (showModal): focus moves inside and stays there,
 * Escape closes it, the page behind is inert, and screen readers announce it by its title.
 */
export function Dialog({ title, onClose, children, wide }: { title: string; onClose: () => void; children: ReactNode; wide?: boolean }) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    return () => dialog?.close();
  }, []);
  return (
    <dialog
      ref={ref}
      aria-labelledby={titleId}
      aria-modal="true"
      className={wide ? 'wide' : undefined}
      onCancel={(event) => {
        event.preventDefault();
        onClose();
      }}
    >
      <h2 id={titleId}>{title}</h2>
      {children}
    </dialog>
  );
}

export function ErrorText({ message }: { message: string }) {
  return message ? (
    <p role="alert" className="error">
      {message}
    </p>
  ) : null;
}

/**
 * The foot of every form in a dialog: its error, if any, then submit and Cancel. Submit is
 * disabled while the action runs, so a double click never sends the mutation twice.
 */
export function FormActions({
  error,
  busy,
  submitLabel,
  kind = 'primary',
  onCancel,
}: {
  error: string;
  busy: boolean;
  submitLabel: string;
  kind?: 'primary' | 'danger';
  onCancel: () => void;
}) {
  return (
    <>
      <ErrorText message={error} />
      <p className="actions">
        <button type="submit" className={kind} disabled={busy}>
          {submitLabel}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </p>
    </>
  );
}
