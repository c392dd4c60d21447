import { CopyButton } from '../../components/CopyButton';
import { Dialog } from '../../components/Dialog';

/**
 * A webhook's signing secret, once: after creating the webhook or rotating its secret. It lives
 * only in this dialog's props (the mutation's answer) and is gone when the dialog closes.
 */
export function SigningSecretDialog({ title, secret, onClose }: { title: string; secret: string; onClose: () => void }) {
  return (
    <Dialog title={title} onClose={onClose}>
      <p className="warning" role="note">
        Copy this signing secret now. It will not be shown again. Your endpoint verifies each delivery&rsquo;s webhook-signature with it.
      </p>
      <p>
        <code className="secret" aria-label="Signing secret">
          {secret}
        </code>
      </p>
      <p className="actions">
        <CopyButton text={secret} what="signing secret" />
      </p>
      <p className="actions">
        <button type="button" onClick={onClose}>
          I have copied it
        </button>
      </p>
    </Dialog>
  );
}
