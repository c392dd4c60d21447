import { useId, type ButtonHTMLAttributes } from 'react';

type Props = ButtonHTMLAttributes<HTMLButtonElement> & {
  /** Whether the person may use it; when not, `reason` says why, as visible text. */
  allowed: boolean;
  reason: string;
};

/**
 * A button the person may not be able to use: then it is disabled, never hidden, with the reason
 * next to it (text, tooltip, and `aria-describedby` for screen readers).
 */
export function Guarded({ allowed, reason, children, className, ...props }: Props) {
  const id = useId();
  if (allowed) {
    return (
      <button type="button" className={className} {...props}>
        {children}
      </button>
    );
  }
  return (
    <span className="guarded">
      <button type="button" className={className} {...props} disabled aria-describedby={id} title={reason}>
        {children}
      </button>
      <span id={id} className="reason">
        {reason}
      </span>
    </span>
  );
}
