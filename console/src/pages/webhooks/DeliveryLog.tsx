import { useState } from 'react';
import { mutate } from '../../api';
import { ErrorText } from '../../components/Dialog';
import { Guarded } from '../../components/Guarded';
import { useAction, useQuery } from '../../data';
import { moment } from '../../format';
import { RedeliverWebhookDeliveryDocument, WebhookDeliveriesDocument, type WebhooksQuery } from '../../generated/graphql';
import { useSearchParam } from '../../router';
import { reasonOf } from '../../session';
import { useEventRefusal } from './EventChecklist';

type Hook = WebhooksQuery['webhooks'][number];
const PAGE = 20;
const OUTCOMES = { '': 'All', failed: 'Failed', succeeded: 'Succeeded' } as const;

/**
 * One webhook's delivery attempts, newest first (time, event, status, attempt, response code,
 * duration, error), with Redeliver on each; the outcome filter is in the URL (`?outcome=failed`).
 */
export function DeliveryLog({ hook, onChanged }: { hook: Hook; onChanged: () => void }) {
  const [outcome, setOutcome] = useSearchParam('outcome');
  const [cursors, setCursors] = useState<string[]>([]);
  const log = useQuery(WebhookDeliveriesDocument, { webhookId: hook.id, first: PAGE, after: cursors[cursors.length - 1] });
  const action = useAction();
  const [note, setNote] = useState('');
  const eventRefusal = useEventRefusal();
  const page = log.data?.webhookDeliveries;
  const shown = page?.nodes.filter((d) => outcome === '' || (outcome === 'failed') === !d.succeeded) ?? [];
  /** The API's rule, said before the click: enabled endpoint, still subscribed, an event the person may read. */
  const refusal = (eventType: string) =>
    reasonOf(hook.viewerCan.reasons, 'redeliver') ||
    (eventType !== 'ping' && !hook.events.includes(eventType)
      ? `The webhook no longer subscribes to ${eventType}; add it to its events before redelivering.`
      : eventRefusal(eventType));
  const redeliver = (id: string) =>
    void action.run(async () => {
      const { redeliverWebhookDelivery: d } = await mutate(RedeliverWebhookDeliveryDocument, { id });
      setNote(
        d.succeeded
          ? `Redelivered as attempt ${d.attempt} (${d.statusCode}).`
          : `Redelivery (attempt ${d.attempt}) failed: ${d.error ?? d.statusCode}`,
      );
      log.reload();
      onChanged();
    });
  return (
    <section aria-labelledby="deliveries-title">
      <h2 id="deliveries-title">Deliveries</h2>
      <div className="toolbar">
        <label>
          Show{' '}
          <select value={outcome} onChange={(e) => setOutcome(e.target.value)}>
            {Object.entries(OUTCOMES).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <button type="button" onClick={log.reload}>
          Refresh
        </button>
      </div>
      <p role="status">{note}</p>
      <ErrorText message={action.error || (log.data ? '' : (log.errors[0]?.message ?? ''))} />
      {page &&
        (shown.length === 0 ? (
          <p className="empty">{page.nodes.length === 0 ? 'No deliveries yet.' : 'No deliveries match the filter on this page.'}</p>
        ) : (
          <table className="stack" aria-label="Delivery log">
            <caption>
              {page.totalCount} {page.totalCount === 1 ? 'attempt' : 'attempts'}
            </caption>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Event</th>
                <th scope="col">Status</th>
                <th scope="col">Attempt</th>
                <th scope="col">Response</th>
                <th scope="col">Duration</th>
                <th scope="col">Error</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((d) => (
                <tr key={d.id}>
                  <td data-label="Time">{moment(d.createdAt)}</td>
                  <td data-label="Event">
                    <code>{d.eventType}</code>
                  </td>
                  <td data-label="Status" className={d.succeeded ? 'ok' : 'error'}>
                    {d.succeeded ? 'Delivered' : d.nextRetryAt ? `Failed, retry ${moment(d.nextRetryAt)}` : 'Failed'}
                  </td>
                  <td data-label="Attempt" className="num">
                    {d.attempt}
                  </td>
                  <td data-label="Response" className="num">
                    {d.statusCode ?? 'none'}
                  </td>
                  <td data-label="Duration" className="num">
                    {d.durationMs} ms
                  </td>
                  <td data-label="Error" className="wrap">
                    {d.error ?? ''}
                  </td>
                  <td data-label="Actions">
                    <Guarded
                      allowed={refusal(d.eventType) === ''}
                      reason={refusal(d.eventType)}
                      disabled={action.busy}
                      aria-label={`Redeliver attempt ${d.attempt} of ${d.eventType}`}
                      onClick={() => redeliver(d.id)}
                    >
                      Redeliver
                    </Guarded>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ))}
      {page && (
        <nav className="pager" aria-label="Pages of deliveries">
          <button type="button" disabled={cursors.length === 0} onClick={() => setCursors(cursors.slice(0, -1))}>
            Newer
          </button>
          <button type="button" disabled={!page.pageInfo.hasNextPage} onClick={() => setCursors([...cursors, page.pageInfo.endCursor!])}>
            Older
          </button>
        </nav>
      )}
    </section>
  );
}
