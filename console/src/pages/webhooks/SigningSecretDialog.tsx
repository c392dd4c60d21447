import { CopyButton } from '../../components/CopyButton';
import { ShownOnce } from '../../components/ShownOnce';

/** A webhook's signing secret, once: after creating the webhook or rotating its secret. */
export function SigningSecretDialog({ title, secret, onClose }: { title: string; secret: string; onClose: () => void }) {
  return (
    <ShownOnce
      title={title}
      warning="Copy this signing secret now. It will not be shown again. Your endpoint verifies each delivery’s webhook-signature with it."
      label="Signing secret"
      secret={secret}
      copy={<CopyButton text={secret} what="signing secret" />}
      onClose={onClose}
    />
  );
}
