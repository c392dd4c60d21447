import { WEBHOOK_EVENTS } from '../../generated/events';
import { useSession } from '../../session';

/** The events under one heading each: `apiKey.created` is in "apiKey". */
const GROUPS = [...new Set(WEBHOOK_EVENTS.map((e) => e.type.split('.')[0]))];

/** Why the signed-in person may not subscribe an endpoint to an event, or '' when they may. */
export function useEventRefusal(): (type: string) => string {
  const { viewer } = useSession();
  return (type) => {
    const needs = WEBHOOK_EVENTS.find((e) => e.type === type)?.needs;
    if (!needs || viewer.permissions.scopes.includes(needs)) return '';
    // Word for word the API's refusal of such a subscription (EVENT_NEEDS_READ): one wording.
    return `A webhook receives the data of its events; subscribing to them needs ${needs}.`;
  };
}

/**
 * Every event a webhook may subscribe to, from the catalog (console/src/generated/events.ts),
 * each with the read scope it needs; an event whose scope the person lacks is disabled, with
 * the reason. An event already chosen stays shown as chosen even then (an endpoint someone else
 * set up): the API refuses the save, and says why.
 */
export function EventChecklist({ legend, chosen, onChange }: { legend: string; chosen: string[]; onChange: (events: string[]) => void }) {
  const refusal = useEventRefusal();
  const toggle = (type: string, on: boolean) =>
    onChange(on ? WEBHOOK_EVENTS.map((e) => e.type).filter((t) => t === type || chosen.includes(t)) : chosen.filter((t) => t !== type));
  return (
    <fieldset className="events">
      <legend>{legend}</legend>
      {GROUPS.map((group) => (
        <div key={group} className="event-group" role="group" aria-label={`${group} events`}>
          {WEBHOOK_EVENTS.filter((e) => e.type.split('.')[0] === group).map((e) => {
            const reason = refusal(e.type);
            const id = `event-${legend}-${e.type}`.replace(/[^\w-]/g, '-');
            return (
              <div key={e.type} className="event">
                <label>
                  <input
                    type="checkbox"
                    checked={chosen.includes(e.type)}
                    disabled={reason !== ''}
                    aria-describedby={reason ? `${id}-reason` : undefined}
                    title={reason || undefined}
                    onChange={(event) => toggle(e.type, event.target.checked)}
                  />{' '}
                  <code>{e.type}</code>
                </label>{' '}
                <span className="needs">{e.needs ? `needs ${e.needs}` : 'for anyone'}</span>
                {reason && (
                  <span id={`${id}-reason`} className="reason">
                    {reason}
                  </span>
                )}
              </div>
            );
          })}
        </div>
      ))}
    </fieldset>
  );
}
