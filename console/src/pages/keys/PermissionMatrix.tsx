import { useId } from 'react';
import { useSession } from '../../session';
import { ACTIONS, PRESETS, resourcesOf, type Grant } from './permissions';

interface Props {
  grant: Grant;
  onChange: (grant: Grant) => void;
  /** Scopes the key holds already (editing): the editor may take them away even when they do not hold them. */
  removable?: Grant;
}

/**
 * Resources × actions, one checkbox per scope the catalog declares (stats has only read). A
 * scope the person does not hold cannot be granted (the API refuses it: NO_ESCALATION), so its
 * box is disabled, with that reason under the matrix (and as the box's description and tooltip).
 */
export function PermissionMatrix({ grant, onChange, removable }: Props) {
  const { catalog, viewer } = useSession();
  const reasonId = useId();
  const held = viewer.permissions.scopes;
  const notHeld = catalog.filter((p) => !held.includes(p.scope)).map((p) => p.scope);
  const toggle = (scope: string, on: boolean) => {
    const next = new Set(grant);
    if (on) next.add(scope);
    else next.delete(scope);
    onChange(next);
  };
  return (
    <fieldset className="matrix">
      <legend>Permissions</legend>
      <div className="presets" role="group" aria-label="Presets">
        {PRESETS.map((preset) => (
          <button key={preset.label} type="button" onClick={() => onChange(new Set(preset.scopes(catalog, held)))}>
            {preset.label}
          </button>
        ))}
      </div>
      <table>
        <thead>
          <tr>
            <th scope="col">Resource</th>
            {ACTIONS.map((action) => (
              <th scope="col" key={action}>
                {action}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {resourcesOf(catalog).map((resource) => (
            <tr key={resource}>
              <th scope="row">{resource}</th>
              {ACTIONS.map((action) => {
                const info = catalog.find((p) => p.resource === resource && p.action === action);
                if (!info) {
                  return (
                    <td key={action} className="na">
                      —
                      <span className="visually-hidden">
                        {' '}
                        (no {action} action on {resource})
                      </span>
                    </td>
                  );
                }
                const mayGrant = held.includes(info.scope);
                // A scope the editor lacks can still be unticked, never ticked again.
                const mayRemove = !mayGrant && grant.has(info.scope) && (removable?.has(info.scope) ?? false);
                return (
                  <td key={action}>
                    <input
                      type="checkbox"
                      aria-label={`${resource}: ${action}`}
                      aria-describedby={mayGrant ? undefined : reasonId}
                      title={mayGrant ? info.description : `You do not hold ${info.scope}, so you cannot grant it.`}
                      checked={grant.has(info.scope)}
                      disabled={!mayGrant && !mayRemove}
                      onChange={(event) => toggle(info.scope, event.target.checked)}
                    />
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
      {notHeld.length > 0 && (
        <p id={reasonId} className="reason">
          You cannot grant what you do not hold ({viewer.role ?? viewer.kind}): {notHeld.join(', ')}.
        </p>
      )}
    </fieldset>
  );
}
