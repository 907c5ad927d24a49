// The dashboard's JSON API and event streams, from the page. The session
// cookie goes with every request (same origin); the page never sees it.

export class SignedOut extends Error {}

/** An answer other than 2xx: its status, and the server's reason. */
export class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export async function getJson(path) {
  const res = await fetch(path, { headers: { accept: 'application/json' }, credentials: 'same-origin' });
  if (res.status === 401) throw new SignedOut('signed out');
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new HttpError(res.status, body.error || `${res.status} ${res.statusText}`);
  return body;
}

/**
 * Follows an event stream: `handlers[event](data)` for each event, and
 * `onLive(true|false)` as the stream opens or drops. The browser reconnects
 * a dropped stream by itself (a fresh snapshot comes first); a stream the
 * server refused (an error status) is retried here, after checking that the
 * session is still good and, given `resource` (the stream's JSON twin),
 * that what it follows exists: a 404 there calls `missing()` and stops.
 */
export function follow(path, handlers, onLive = () => {}, { resource, missing } = {}) {
  let source;
  let retry;
  let stopped = false;
  let delay = 1000;
  const open = () => {
    source = new EventSource(path);
    source.onopen = () => {
      delay = 1000;
      onLive(true);
    };
    source.onerror = () => {
      onLive(false);
      if (source.readyState !== EventSource.CLOSED || stopped) return;
      retry = setTimeout(async () => {
        try {
          await getJson('api/session');
          if (resource !== undefined) await getJson(resource);
        } catch (error) {
          if (error instanceof SignedOut) return location.reload();
          if (error instanceof HttpError && error.status === 404 && missing) {
            stopped = true;
            return missing();
          }
        }
        if (!stopped) open();
      }, delay);
      delay = Math.min(delay * 2, 30_000);
    };
    for (const [event, handler] of Object.entries(handlers)) {
      source.addEventListener(event, e => handler(JSON.parse(e.data)));
    }
  };
  open();
  return () => {
    stopped = true;
    clearTimeout(retry);
    source.close();
  };
}
