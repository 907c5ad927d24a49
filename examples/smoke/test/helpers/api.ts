/** A thin fetch wrapper: every smoke request has a deadline and is timed. */
const TIMEOUT_MS = Number(process.env.SMOKE_TIMEOUT_MS ?? 5_000);

export function baseUrl(): string {
  const url = process.env.SMOKE_BASE_URL;
  if (!url) {
    throw new Error(
      'SMOKE_BASE_URL is not set: run the suite through jest (globalSetup starts a local service) or set it to a deployment',
    );
  }
  return url.replace(/\/+$/, '');
}

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  ms: number;
}

export async function request<T = any>(method: string, path: string, init: RequestInit = {}): Promise<ApiResponse<T>> {
  const started = performance.now();
  const res = await fetch(baseUrl() + path, { ...init, method, signal: AbortSignal.timeout(TIMEOUT_MS) });
  const text = await res.text();
  const isJson = (res.headers.get('content-type') ?? '').startsWith('application/json');
  return {
    status: res.status,
    headers: res.headers,
    body: (isJson && text ? JSON.parse(text) : text) as T,
    ms: performance.now() - started,
  };
}

export const get = <T = any>(path: string) => request<T>('GET', path);

export const post = <T = any>(path: string, json: unknown) =>
  request<T>('POST', path, { body: JSON.stringify(json), headers: { 'content-type': 'application/json' } });

/** Every product, following the pagination. */
export async function allProducts(): Promise<Array<{ sku: string; name: string; category: string; price: number }>> {
  const items = [];
  for (let page = 1; ; page++) {
    const res = await get(`/products?page=${page}&perPage=50`);
    items.push(...res.body.items);
    if (page >= res.body.totalPages) return items;
  }
}
