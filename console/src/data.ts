import { useCallback, useEffect, useState } from 'react';
import { ApiError, request, type GqlError } from './api';
import type { TypedDocumentString } from './generated/graphql';

export interface Loaded<T> {
  data: T | null;
  /** Field errors that came with data (a part the person may not read), or the failure. */
  errors: GqlError[];
  loading: boolean;
  reload(): void;
}

/** Runs a query now and whenever its variables change; `reload()` runs it again. Null variables: skipped. */
export function useQuery<T, V>(document: TypedDocumentString<T, V>, variables?: V | null): Loaded<T> {
  const [state, setState] = useState<{ data: T | null; errors: GqlError[]; loading: boolean }>({ data: null, errors: [], loading: true });
  const [generation, setGeneration] = useState(0);
  const key = variables === null ? 'null' : JSON.stringify(variables ?? {});
  useEffect(() => {
    if (key === 'null') return setState({ data: null, errors: [], loading: false });
    let current = true;
    setState((s) => ({ ...s, loading: true }));
    request(document, JSON.parse(key) as V).then(
      (result) => current && setState({ data: result.data, errors: result.errors, loading: false }),
      (error: unknown) =>
        current &&
        setState({ data: null, errors: [{ message: error instanceof ApiError ? error.message : String(error) }], loading: false }),
    );
    return () => {
      current = false;
    };
  }, [document, key, generation]);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { ...state, reload };
}

/** A change in flight: its error message, if it failed. */
export function useAction(): { busy: boolean; error: string; run: (fn: () => Promise<unknown>) => Promise<boolean> } {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const run = useCallback(async (fn: () => Promise<unknown>) => {
    setBusy(true);
    setError('');
    try {
      await fn();
      return true;
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
      return false;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, run };
}
