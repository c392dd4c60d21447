import { useState, type FormEvent } from 'react';
import { mutate } from '../../api';
import { Dialog, FormActions } from '../../components/Dialog';
import { useAction } from '../../data';
import { daysFromNow } from '../../format';
import { CreateApiKeyDocument, type ApiKeyType, type CreateApiKeyInput } from '../../generated/graphql';
import { PermissionMatrix } from './PermissionMatrix';
import { toInput, type Grant } from './permissions';
import { parseRateLimit, RateLimitField } from './RateLimit';

const EXPIRIES = [
  { value: '30', label: '30 days' },
  { value: '60', label: '60 days' },
  { value: '90', label: '90 days' },
  { value: 'custom', label: 'Custom date' },
  { value: 'never', label: 'Never' },
];

export interface Created {
  id: string;
  name: string;
  secret: string;
}

/** Create a key: name, USER or BOT, permissions (matrix and presets), expiry, rate limit. */
export function CreateKeyDialog({ onClose, onCreated }: { onClose: () => void; onCreated: (created: Created) => void }) {
  const [name, setName] = useState('');
  const [type, setType] = useState<ApiKeyType>('BOT');
  const [grant, setGrant] = useState<Grant>(new Set());
  const [expiry, setExpiry] = useState('30');
  const [customDate, setCustomDate] = useState(daysFromNow(14));
  const [rateLimit, setRateLimit] = useState('');
  const action = useAction();

  const expiresOn = expiry === 'never' ? 'never expires' : `expires on ${expiry === 'custom' ? customDate : daysFromNow(Number(expiry))}`;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const input: CreateApiKeyInput = { name: name.trim(), type, permissions: toInput(grant) };
    const limit = parseRateLimit(rateLimit);
    if (limit != null) input.rateLimitPerMinute = limit;
    if (expiry === 'custom') input.expiresAt = `${customDate}T23:59:59.000Z`;
    else if (expiry !== 'never') input.expiresInDays = Number(expiry);
    await action.run(async () => {
      const { createApiKey } = await mutate(CreateApiKeyDocument, { input });
      onCreated({ id: createApiKey.apiKey.id, name: createApiKey.apiKey.name, secret: createApiKey.secret });
    });
  };

  return (
    <Dialog title="Create an API key" onClose={onClose} wide>
      <form onSubmit={submit}>
        <p>
          <label>
            Name{' '}
            <input
              name="name"
              required
              maxLength={100}
              autoFocus
              placeholder="e.g. CI pipeline"
              value={name}
              onChange={(e) => setName(e.target.value)}
            />
          </label>
        </p>
        <fieldset>
          <legend>Type</legend>
          <label>
            <input type="radio" name="type" value="BOT" checked={type === 'BOT'} onChange={() => setType('BOT')} /> BOT — belongs to the
            organization
          </label>
          <label>
            <input type="radio" name="type" value="USER" checked={type === 'USER'} onChange={() => setType('USER')} /> USER — acts as you,
            deleted if you leave
          </label>
        </fieldset>
        <PermissionMatrix grant={grant} onChange={setGrant} />
        <fieldset>
          <legend>Expiry</legend>
          {EXPIRIES.map((option) => (
            <label key={option.value}>
              <input
                type="radio"
                name="expiry"
                value={option.value}
                checked={expiry === option.value}
                onChange={() => setExpiry(option.value)}
              />{' '}
              {option.label}
            </label>
          ))}
          {expiry === 'custom' && (
            <label>
              Expiry date{' '}
              <input type="date" required min={daysFromNow(1)} value={customDate} onChange={(e) => setCustomDate(e.target.value)} />
            </label>
          )}
          <p className="hint" aria-live="polite">
            The key {expiresOn}.
          </p>
        </fieldset>
        <RateLimitField value={rateLimit} onChange={setRateLimit} />
        <FormActions error={action.error} busy={action.busy} submitLabel="Create key" onCancel={onClose} />
      </form>
    </Dialog>
  );
}
