import { useState } from 'react';

/** Copies `text` to the clipboard; says whether it did, in a status line screen readers announce. */
export function CopyButton({ text, label = 'Copy', what }: { text: string; label?: string; what: string }) {
  const [said, setSaid] = useState('');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setSaid('Copied.');
    } catch {
      setSaid('The browser refused the clipboard: select the text and copy it by hand.');
    }
  };
  return (
    <span className="copy">
      <button type="button" onClick={copy} aria-label={`${label} ${what}`}>
        {label}
      </button>
      <span role="status" className="reason">
        {said}
      </span>
    </span>
  );
}
