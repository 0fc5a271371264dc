/**
 * The GraphQL explorer's page and its start script: GraphiQL 3 from its npm package (React 18's UMD
 * builds beside it), nothing from a CDN. The page has no inline script; the script reads the identity
 * the web tasklist keeps in this tab (development identity, or the OpenID session) into GraphiQL's headers
 * editor, and sends whatever that editor holds with every query, over HTTP and in graphql-ws
 * `connection_init`. The server authenticates each of them as it does any client's.
 */

/** Where the explorer's files are served. */
export const EXPLORER_ASSET_PATH = '/graphql-explorer';

/** The HTML answered to a browser's `GET` of the GraphQL path. */
export function explorerHtml(): string {
  const asset = (file: string) => `${EXPLORER_ASSET_PATH}/${file}`;
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Eddy GraphQL explorer</title>
    <link rel="stylesheet" href="${asset('graphiql.css')}" />
    <link rel="stylesheet" href="${asset('explorer.css')}" />
  </head>
  <body>
    <div id="graphiql">Loading the GraphQL explorer ...</div>
    <script src="${asset('react.js')}"></script>
    <script src="${asset('react-dom.js')}"></script>
    <script src="${asset('graphql-ws.js')}"></script>
    <script src="${asset('graphiql.js')}"></script>
    <script src="${asset('explorer.js')}"></script>
  </body>
</html>
`;
}

export const EXPLORER_CSS = 'html, body, #graphiql { height: 100%; margin: 0; }\n';

/** Runs in the browser (plain ES2020, no build step): starts GraphiQL with the fetcher of Eddy. */
export const EXPLORER_SCRIPT = String.raw`(async function () {
  'use strict';
  const fallback = { authMode: 'jwt', graphqlPath: '/graphql', oidc: null };
  const settings = await fetch('/tasklist/settings.json', { headers: { accept: 'application/json' } })
    .then((r) => (r.ok ? r.json() : fallback))
    .catch(() => fallback);
  const path = settings.graphqlPath || '/graphql';

  function read(key) {
    try {
      const raw = sessionStorage.getItem(key);
      return raw ? JSON.parse(raw) : null;
    } catch (e) {
      return null;
    }
  }

  // The identity the web tasklist holds in this tab, as the headers it sends.
  function identityHeaders() {
    if (settings.authMode === 'dev') {
      const identity = read('eddy.tasklist.identity');
      if (identity && typeof identity.user === 'string' && Array.isArray(identity.groups)) {
        return { 'x-user': identity.user, 'x-groups': identity.groups.join(',') };
      }
      return { 'x-user': '', 'x-groups': '' };
    }
    const user = settings.oidc ? read('oidc.user:' + settings.oidc.issuer + ':' + settings.oidc.clientId) : null;
    return { Authorization: 'Bearer ' + (user && user.access_token ? user.access_token : '') };
  }

  const sockets = new Map();
  // One graphql-ws connection per set of headers: they go in its connection_init.
  function socketFor(headers) {
    const key = JSON.stringify(headers);
    if (!sockets.has(key)) {
      const url = new URL(path, location.href);
      url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
      sockets.set(key, graphqlWs.createClient({ url: url.toString(), connectionParams: headers, lazy: true, retryAttempts: 0 }));
    }
    return sockets.get(key);
  }

  function isSubscription(params) {
    try {
      const operation = GraphiQL.GraphQL.getOperationAST(GraphiQL.GraphQL.parse(params.query), params.operationName);
      return !!operation && operation.operation === 'subscription';
    } catch (e) {
      return false;
    }
  }

  function fetcher(params, options) {
    const headers = Object.assign({}, options && options.headers);
    if (isSubscription(params)) return socketFor(headers).iterate(params);
    return fetch(path, {
      method: 'POST',
      headers: Object.assign({ 'content-type': 'application/json', accept: 'application/json' }, headers),
      body: JSON.stringify(params),
    }).then((response) => response.json());
  }

  ReactDOM.createRoot(document.getElementById('graphiql')).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultHeaders: JSON.stringify(identityHeaders(), null, 2),
      shouldPersistHeaders: false,
      defaultEditorToolsVisibility: 'headers',
      isHeadersEditorEnabled: true,
    }),
  );
})();
`;
