import { randomBytes } from 'node:crypto';

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
  text: string;
}

export interface RequestOptions {
  token?: string | undefined;
  body?: unknown;
  /** Sent as-is instead of JSON.stringify(body). */
  raw?: string;
  headers?: Record<string, string>;
}

/** A tiny fetch wrapper for the REST API: JSON in and out, bearer token, raw bodies for hostile input. */
export function apiClient(baseUrl: string) {
  const call = async <T = any>(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers['authorization'] = `Bearer ${options.token}`;
    let body: string | undefined;
    if (options.raw !== undefined) body = options.raw;
    else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(`${baseUrl}${path}`, { method, headers, body });
    const text = await response.text();
    let parsed: unknown = undefined;
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    return { status: response.status, body: parsed as T, headers: response.headers, text };
  };
  return {
    baseUrl,
    call,
    get: <T = any>(path: string, options?: RequestOptions) => call<T>('GET', path, options),
    post: <T = any>(path: string, options?: RequestOptions) => call<T>('POST', path, options),
    put: <T = any>(path: string, options?: RequestOptions) => call<T>('PUT', path, options),
    patch: <T = any>(path: string, options?: RequestOptions) => call<T>('PATCH', path, options),
    delete: <T = any>(path: string, options?: RequestOptions) => call<T>('DELETE', path, options),
  };
}
export type ApiClient = ReturnType<typeof apiClient>;

/** A username no other test uses, so tests can share one database. */
export function uniqueName(prefix = 'user'): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}

export interface TestUser {
  id: number;
  username: string;
  email: string;
  password: string;
  access: string;
  refresh: string;
}

export async function registerUser(api: ApiClient, prefix = 'user'): Promise<TestUser> {
  const username = uniqueName(prefix);
  const password = 'correct-horse-battery';
  const email = `${username}@example.com`;
  const response = await api.post('/api/auth/register', { body: { username, email, password } });
  if (response.status !== 201) throw new Error(`register failed: ${response.status} ${response.text}`);
  return { ...response.body.user, password, access: response.body.access, refresh: response.body.refresh };
}

/** Asserts the contract's error shape and returns the body. */
export function errorBody(response: ApiResponse): { error: string; code: string; details?: Array<{ path: string; message: string }> } {
  const body = response.body as { error?: unknown; code?: unknown };
  if (typeof body?.error !== 'string' || typeof body?.code !== 'string') {
    throw new Error(`not a contract error body: ${response.status} ${response.text}`);
  }
  return body as never;
}
