import { useState, type FormEvent } from 'react';
import { mutate } from '../../api';
import { Dialog, ErrorText } from '../../components/Dialog';
import { useAction } from '../../data';
import { UpdateApiKeyDocument, type KeyRowFragment, type UpdateApiKeyInput } from '../../generated/graphql';
import { useSession } from '../../session';
import { PermissionMatrix } from './PermissionMatrix';
import { toInput, type Grant } from './permissions';
import { parseRateLimit, RateLimitField, rateLimitText } from './RateLimit';

interface Change {
  name?: { from: string; to: string };
  added: string[];
  removed: string[];
  limit?: { from: number | null; to: number | null };
}

/**
 * Edit a key's name, permissions and rate limit. Saving shows the change first (name old → new,
 * scopes added and removed, limit old → new), then `updateApiKey` sends only what changed. The
 * matrix lets the editor grant only what they hold; the API refuses anything else (NO_ESCALATION).
 */
export function EditKeyDialog({ apiKey, onClose, onSaved }: { apiKey: KeyRowFragment; onClose: () => void; onSaved: () => void }) {
  const { catalog, viewer } = useSession();
  const before = new Set(apiKey.permissions.scopes);
  const [name, setName] = useState(apiKey.name);
  const [grant, setGrant] = useState<Grant>(before);
  const [limit, setLimit] = useState(apiKey.rateLimitPerMinute == null ? '' : String(apiKey.rateLimitPerMinute));
  const [reviewing, setReviewing] = useState(false);
  const action = useAction();

  const inCatalogOrder = (scopes: (s: string) => boolean) => catalog.map((p) => p.scope).filter(scopes);
  const change: Change = {
    added: inCatalogOrder((s) => grant.has(s) && !before.has(s)),
    removed: inCatalogOrder((s) => before.has(s) && !grant.has(s)),
  };
  if (name.trim() !== apiKey.name) change.name = { from: apiKey.name, to: name.trim() };
  const newLimit = parseRateLimit(limit);
  if (newLimit !== apiKey.rateLimitPerMinute) change.limit = { from: apiKey.rateLimitPerMinute, to: newLimit };
  const permissionsChanged = change.added.length + change.removed.length > 0;
  const unchanged = !change.name && !permissionsChanged && !change.limit;
  // Kept scopes the editor does not hold: sending the grant would re-grant them, which the API refuses.
  const notHeld = permissionsChanged ? [...grant].filter((s) => !viewer.permissions.scopes.includes(s)) : [];

  const review = (event: FormEvent) => {
    event.preventDefault();
    setReviewing(true);
  };
  const save = (event: FormEvent) => {
    event.preventDefault();
    const input: UpdateApiKeyInput = {};
    if (change.name) input.name = change.name.to;
    if (permissionsChanged) input.permissions = toInput(grant);
    // 0 removes the key's own limit (the plan's applies again).
    if (change.limit) input.rateLimitPerMinute = change.limit.to ?? 0;
    void action.run(async () => {
      await mutate(UpdateApiKeyDocument, { id: apiKey.id, input });
      onClose();
      onSaved();
    });
  };

  if (reviewing) {
    return (
      <Dialog title={`Save changes to ${apiKey.name}`} onClose={onClose} wide>
        <form onSubmit={save}>
          <p>These changes apply to the very next request made with the key.</p>
          <ul className="diff" aria-label="Changes">
            {change.name && (
              <li>
                Name: {change.name.from} → {change.name.to}
              </li>
            )}
            {change.added.length > 0 && <li className="added">Permissions added: {change.added.join(', ')}</li>}
            {change.removed.length > 0 && <li className="removed">Permissions removed: {change.removed.join(', ')}</li>}
            {change.limit && (
              <li>
                Rate limit: {rateLimitText(change.limit.from)} → {rateLimitText(change.limit.to)}
              </li>
            )}
          </ul>
          {notHeld.length > 0 && (
            <p className="warning" role="note">
              You do not hold {notHeld.join(', ')}: keygate refuses to grant {notHeld.length > 1 ? 'them' : 'it'} again. Remove{' '}
              {notHeld.length > 1 ? 'them' : 'it'}, or ask someone who holds {notHeld.length > 1 ? 'them' : 'it'}.
            </p>
          )}
          <ErrorText message={action.error} />
          <p className="actions">
            <button type="submit" className="primary" disabled={action.busy}>
              Save changes
            </button>
            <button type="button" onClick={() => setReviewing(false)}>
              Back to editing
            </button>
            <button type="button" onClick={onClose}>
              Cancel
            </button>
          </p>
        </form>
      </Dialog>
    );
  }
  return (
    <Dialog title={`Edit ${apiKey.name}`} onClose={onClose} wide>
      <form onSubmit={review}>
        <p>
          <label>
            Name <input name="name" required maxLength={100} autoFocus value={name} onChange={(e) => setName(e.target.value)} />
          </label>
        </p>
        <PermissionMatrix grant={grant} onChange={setGrant} removable={before} />
        <RateLimitField value={limit} onChange={setLimit} />
        {unchanged && <p className="hint">Nothing changed yet.</p>}
        <p className="actions">
          <button type="submit" className="primary" disabled={unchanged}>
            Review changes
          </button>
          <button type="button" onClick={onClose}>
            Cancel
          </button>
        </p>
      </form>
    </Dialog>
  );
}
