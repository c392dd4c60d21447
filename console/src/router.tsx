import { useCallback, useEffect, useState, type AnchorHTMLAttributes, type MouseEvent } from 'react';

/** Client routes live under /console/; keygate answers every one of them with index.html. */
export const BASE = '/console';

const listeners = new Set<() => void>();

export function navigate(to: string): void {
  history.pushState(null, '', `${BASE}${to}`);
  listeners.forEach((listener) => listener());
}

/**
 * One filter kept in the URL's query string (`?status=ACTIVE`), so a reload or a shared link shows
 * the same list. Setting it replaces the history entry: typing in a filter is not a page to go back to.
 * An empty value removes the parameter.
 */
export function useSearchParam(name: string): [string, (value: string) => void] {
  const read = () => new URLSearchParams(location.search).get(name) ?? '';
  const [value, setValue] = useState(read);
  useEffect(() => {
    const update = () => setValue(read());
    listeners.add(update);
    window.addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      window.removeEventListener('popstate', update);
    };
  }, [name]);
  const set = useCallback(
    (next: string) => {
      const params = new URLSearchParams(location.search);
      if (next) params.set(name, next);
      else params.delete(name);
      const query = params.toString();
      history.replaceState(null, '', `${location.pathname}${query ? `?${query}` : ''}`);
      listeners.forEach((listener) => listener());
    },
    [name],
  );
  return [value, set];
}

/** The route: the path under /console, e.g. "/keys/…" ("/" for the console's home). */
export function usePath(): string {
  const read = () => location.pathname.slice(BASE.length) || '/';
  const [path, setPath] = useState(read);
  useEffect(() => {
    const update = () => setPath(read());
    listeners.add(update);
    window.addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      window.removeEventListener('popstate', update);
    };
  }, []);
  return path;
}

/** A real link (opens in a new tab, works without JavaScript's router) that navigates in place. */
export function Link({ to, ...props }: { to: string } & AnchorHTMLAttributes<HTMLAnchorElement>) {
  const onClick = (event: MouseEvent<HTMLAnchorElement>) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(to);
  };
  return <a href={`${BASE}${to}`} onClick={onClick} {...props} />;
}
