import { useState } from 'react';
import { Dialog } from '../../components/Dialog';

/**
 * The secret, once: it lives only in this dialog's props (the creation or rotation response) and
 * is gone when the dialog closes. Nothing stores or logs it.
 */
export function SecretDialog({ name, secret, onClose }: { name: string; secret: string; onClose: () => void }) {
  const [copied, setCopied] = useState('');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(secret);
      setCopied('Copied to the clipboard.');
    } catch {
      setCopied('The browser refused the clipboard: select the key and copy it by hand.');
    }
  };
  return (
    <Dialog title={`Your new key: ${name}`} onClose={onClose}>
      <p className="warning" role="note">
        Copy this key now. It will not be shown again: keygate keeps only its SHA-256.
      </p>
      <p>
        <code className="secret" aria-label="Secret key">
          {secret}
        </code>
      </p>
      <p className="actions">
        <button type="button" className="primary" onClick={copy}>
          Copy
        </button>
        <span role="status">{copied}</span>
      </p>
      <p className="actions">
        <button type="button" onClick={onClose}>
          I have copied it
        </button>
      </p>
    </Dialog>
  );
}
