import { useState } from 'react';
import { ShownOnce } from '../../components/ShownOnce';

/** A new or rotated key's secret, once. */
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
    <ShownOnce
      title={`Your new key: ${name}`}
      warning="Copy this key now. It will not be shown again: keygate keeps only its SHA-256."
      label="Secret key"
      secret={secret}
      copy={
        <>
          <button type="button" className="primary" onClick={copy}>
            Copy
          </button>
          <span role="status">{copied}</span>
        </>
      }
      onClose={onClose}
    />
  );
}
