// Fetching from the REST API, status lines and table cells; shared by the page modules.

/**
 * A path on this server as an absolute URL without user:password: a page opened as
 * https://user:pass@host/ (a login in the address) resolves relative URLs with the
 * credentials in them, which fetch() refuses; the browser sends its cached login anyway.
 */
export function here(path) {
  return new URL(path, location.origin).href;
}

/** GET (or POST when body is given) JSON; throws Error(message from {"error": …}) with .body set. */
export async function getJson(url, body) {
  const init = { headers: { Accept: 'application/json' } };
  if (body !== undefined) {
    init.method = 'POST';
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(here(url), init);
  } catch (e) {
    throw new Error(`cannot reach the server (${e.message})`);
  }
  let json = null;
  try {
    json = await response.json();
  } catch (e) {
    // not JSON: fall through to the status
  }
  if (!response.ok) {
    const error = new Error(json && json.error ? json.error : `HTTP ${response.status}`);
    error.body = json;
    throw error;
  }
  return json;
}

/** kind: '' | 'loading' | 'error'. */
export function setStatus(el, kind, text) {
  el.className = `status ${kind}`;
  el.textContent = text;
}

export function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

/** Appends a <td> with text (textContent, never HTML) to a row; returns it. */
export function cell(tr, text, className) {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  tr.appendChild(td);
  return td;
}
