/** Small HTTP helpers for end-to-end tests of the command and admin APIs. */
export interface HttpAnswer<T = unknown> {
  status: number;
  body: T;
}

export async function post<T = unknown>(
  baseUrl: string,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<HttpAnswer<T>> {
  const response = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
}

export async function get<T = unknown>(
  baseUrl: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<HttpAnswer<T>> {
  const response = await fetch(`${baseUrl}${path}`, { headers });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Prometheus text and other plain answers stay text.
  }
  return { status: response.status, body: body as T };
}

/** Development identity headers of a process application allowed to submit commands. */
export const serviceHeaders = { 'x-user': 'billing-app', 'x-groups': 'process-applications' };
export const adminHeaders = { 'x-user': 'ops', 'x-groups': 'admins' };
