import { useSession } from '../../session';
import { ACTIONS, PRESETS, resourcesOf, type Grant } from './permissions';

/**
 * Resources × actions, one checkbox per scope the catalog declares (stats has only read). A
 * scope the person does not hold cannot be granted (the API refuses it: NO_ESCALATION), so its
 * box is disabled with that reason.
 */
export function PermissionMatrix({ grant, onChange }: { grant: Grant; onChange: (grant: Grant) => void }) {
  const { catalog, viewer } = useSession();
  const held = viewer.permissions.scopes;
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
                return (
                  <td key={action}>
                    <input
                      type="checkbox"
                      aria-label={`${resource}: ${action}`}
                      title={mayGrant ? info.description : `You do not hold ${info.scope}, so you cannot grant it.`}
                      checked={grant.has(info.scope)}
                      disabled={!mayGrant}
                      onChange={(event) => toggle(info.scope, event.target.checked)}
                    />
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </fieldset>
  );
}
