// @node-oauth/oauth2-server in a minimal Express app, as an independent target for the
// conformance suite (fixtures/targets/node-oauth2-server.toml). The model is the library's
// documented model functions over in-memory maps: every start is a fresh server.
//
// Environment: PEER_ADDR (default 127.0.0.1:4200), PEER_ISSUER (default http://PEER_ADDR),
// PEER_PASSWORD (the test user's password, default test-password).
//
// Routes:
//   GET  /.well-known/oauth-authorization-server   static RFC 8414 metadata (the library has none)
//   GET  /authorize    login form without a session, else the library's authorize()
//   POST /authorize    the login form posts back here, then a 303 back to GET /authorize
//   *    /token        the library's token()
//   GET  /resource     the library's authenticate() with scope api:read (a demo resource)
// The library has no introspection (RFC 7662) or revocation (RFC 7009) endpoint; none is added.

import { randomBytes, timingSafeEqual } from 'node:crypto';

import express from 'express';
import session from 'express-session';
import OAuth2Server from '@node-oauth/oauth2-server';

const { Request, Response, OAuthError } = OAuth2Server;

const addr = process.env.PEER_ADDR || '127.0.0.1:4200';
const [host, port] = [addr.slice(0, addr.lastIndexOf(':')), Number(addr.slice(addr.lastIndexOf(':') + 1))];
const issuer = process.env.PEER_ISSUER || `http://${addr}`;

const USERNAME = 'test-user';
const PASSWORD = process.env.PEER_PASSWORD || 'test-password';
const SCOPES = ['api:read', 'api:write'];
// RFC 6749 §3.3: a request without `scope` gets the client's default scope.
const DEFAULT_SCOPE = ['api:read'];

// Must match fixtures/targets/node-oauth2-server.toml; throwaway test secrets.
const clients = new Map(
  [
    {
      id: 'cc-client',
      secret: 'cc-client-secret-0123456789abcdefghijklmnopqrstuvwxyz',
      grants: ['client_credentials'],
      redirectUris: [],
      scopes: SCOPES,
    },
    {
      id: 'web-client',
      secret: 'web-client-secret-0123456789abcdefghijklmnopqrstuvwxyz',
      grants: ['authorization_code', 'refresh_token'],
      redirectUris: ['https://client.example/cb'],
      scopes: SCOPES,
    },
    {
      id: 'web-client-2',
      secret: 'web-client-2-secret-0123456789abcdefghijklmnopqrstuvwxyz',
      grants: ['authorization_code', 'refresh_token'],
      redirectUris: ['https://client.example/cb2'],
      scopes: SCOPES,
    },
  ].map((client) => [client.id, client]),
);

const users = new Map([[USERNAME, { id: USERNAME, password: PASSWORD }]]);

// In-memory storage.
const codes = new Map(); // authorization code -> saved code
const accessTokens = new Map(); // access token -> saved token
const refreshTokens = new Map(); // refresh token -> saved token

function sameSecret(expected, given) {
  const a = Buffer.from(String(expected));
  const b = Buffer.from(String(given));
  return a.length === b.length && timingSafeEqual(a, b);
}

// What the library is given and given back: no secrets, no private fields.
function publicClient(client) {
  return { id: client.id, grants: client.grants, redirectUris: client.redirectUris };
}

function publicUser(user) {
  return { id: user.id };
}

// The model: the functions the library documents (lib/model.js of @node-oauth/oauth2-server)
// for the authorization_code (with PKCE), client_credentials and refresh_token grants and for
// authenticate().
const model = {
  // The authorization endpoint looks the client up by id alone (clientSecret null); the
  // token endpoint passes the secret the client authenticated with. All three clients are
  // confidential, so a token request without a secret (the library's PKCE-only path passes
  // undefined) does not authenticate.
  async getClient(clientId, clientSecret) {
    const client = clients.get(clientId);
    if (!client) return false;
    if (clientSecret === null) return publicClient(client);
    if (clientSecret === undefined || !sameSecret(client.secret, clientSecret)) return false;
    return publicClient(client);
  },

  async saveToken(token, client, user) {
    const saved = {
      accessToken: token.accessToken,
      accessTokenExpiresAt: token.accessTokenExpiresAt,
      scope: token.scope,
      client,
      user,
    };
    // A refresh token only for clients that may use the refresh_token grant.
    if (token.refreshToken && client.grants.includes('refresh_token')) {
      saved.refreshToken = token.refreshToken;
      saved.refreshTokenExpiresAt = token.refreshTokenExpiresAt;
      refreshTokens.set(token.refreshToken, { ...saved });
    }
    accessTokens.set(token.accessToken, { ...saved });
    return saved;
  },

  async getAccessToken(accessToken) {
    return accessTokens.get(accessToken) || false;
  },

  async verifyScope(token, scope) {
    if (!token.scope) return false;
    return scope.every((s) => token.scope.includes(s));
  },

  async saveAuthorizationCode(code, client, user) {
    const saved = {
      authorizationCode: code.authorizationCode,
      expiresAt: code.expiresAt,
      redirectUri: code.redirectUri,
      scope: code.scope,
      codeChallenge: code.codeChallenge,
      codeChallengeMethod: code.codeChallengeMethod,
      client,
      user: publicUser(user),
    };
    codes.set(code.authorizationCode, saved);
    return saved;
  },

  async getAuthorizationCode(authorizationCode) {
    return codes.get(authorizationCode) || false;
  },

  // true only for the one call that removes it: a code is redeemed once.
  async revokeAuthorizationCode(code) {
    return codes.delete(code.authorizationCode);
  },

  async getRefreshToken(refreshToken) {
    return refreshTokens.get(refreshToken) || false;
  },

  // Called on every refresh (alwaysIssueNewRefreshToken, the default): the old refresh token
  // is removed, and only the one call that removes it wins.
  async revokeToken(token) {
    return refreshTokens.delete(token.refreshToken);
  },

  // client_credentials: the client acts for itself.
  async getUserFromClient(client) {
    return { id: `client:${client.id}` };
  },

  // Rejects a request that asks for a scope the client does not have (the library then
  // answers invalid_scope); no scope asked means the default scope.
  async validateScope(_user, client, scope) {
    const allowed = clients.get(client.id)?.scopes || [];
    if (!scope || scope.length === 0) return DEFAULT_SCOPE;
    if (!scope.every((s) => allowed.includes(s))) return false;
    return scope;
  },
};

const oauth = new OAuth2Server({
  model,
  // The library's defaults, spelled out: codes 5 min, access tokens 1 h, refresh tokens 14 d,
  // refresh tokens rotated, `state` required, PKCE plain refused.
  authorizationCodeLifetime: 300,
  accessTokenLifetime: 3600,
  refreshTokenLifetime: 14 * 24 * 3600,
  alwaysIssueNewRefreshToken: true,
  allowEmptyState: false,
  enablePlainPKCE: false,
});

const metadata = {
  issuer,
  authorization_endpoint: `${issuer}/authorize`,
  token_endpoint: `${issuer}/token`,
  scopes_supported: SCOPES,
  response_types_supported: ['code'],
  response_modes_supported: ['query'],
  grant_types_supported: ['authorization_code', 'client_credentials', 'refresh_token'],
  token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
  code_challenge_methods_supported: ['S256'],
};

function escape(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

// Headers of the app's own pages (login and error pages at /authorize).
function pageHeaders(res) {
  res.set({
    'cache-control': 'no-store',
    'x-frame-options': 'DENY',
    'content-security-policy': "default-src 'none'; form-action 'self'; frame-ancestors 'none'",
    'referrer-policy': 'no-referrer',
  });
}

function loginPage(action, message) {
  return `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Sign in</title></head>
<body>
<h1>Sign in</h1>
${message ? `<p role="alert">${escape(message)}</p>` : ''}
<form method="post" action="${escape(action)}">
<label>Username <input type="text" name="username" autocomplete="username" required></label>
<label>Password <input type="password" name="password" autocomplete="current-password" required></label>
<button type="submit">Sign in</button>
</form>
</body></html>`;
}

function errorPage(error) {
  return `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Authorization error</title></head>
<body>
<h1>${escape(error.name)}</h1>
<p>${escape(error.message)}</p>
</body></html>`;
}

// The library's Request, from Express's request.
function oauthRequest(req) {
  return new Request({ headers: req.headers, method: req.method, query: req.query, body: req.body || {} });
}

// The library's Response, copied onto Express's.
function send(res, response) {
  res.status(response.status).set(response.headers);
  if (response.status >= 300 && response.status < 400) {
    res.end();
  } else {
    res.json(response.body);
  }
}

function sendError(res, response, error) {
  if (!(error instanceof OAuthError)) throw error;
  res.set(response.headers);
  const body =
    response.body && response.body.error ? response.body : { error: error.name, error_description: error.message };
  res.status(error.code).json(body);
}

const app = express();
app.disable('x-powered-by');

app.get('/.well-known/oauth-authorization-server', (_req, res) => {
  res.json(metadata);
});

const form = express.urlencoded({ extended: false });
const sessions = session({
  name: 'peer.sid',
  secret: randomBytes(32).toString('hex'),
  resave: false,
  saveUninitialized: false,
  cookie: { httpOnly: true, sameSite: 'lax', path: '/' },
});

// The library's authorize(): the user is the one logged in to this session; consent is
// automatic. Its redirects (codes and redirected errors) are sent as they are; an error it
// does not redirect is shown on a page.
async function authorize(req, res) {
  const request = oauthRequest(req);
  const response = new Response({});
  try {
    await oauth.authorize(request, response, {
      authenticateHandler: { handle: () => req.session.user },
    });
    send(res, response);
  } catch (error) {
    if (!(error instanceof OAuthError)) throw error;
    if (response.status === 302 && response.get('location')) {
      send(res, response);
      return;
    }
    pageHeaders(res);
    res.status(error.code).type('html').send(errorPage(error));
  }
}

app.get('/authorize', sessions, async (req, res) => {
  if (!req.session.user) {
    pageHeaders(res);
    res.type('html').send(loginPage(req.originalUrl));
    return;
  }
  await authorize(req, res);
});

// The login form posts back to the authorization URL it was shown at; once the user is logged
// in, a 303 sends the browser back to that URL with GET (RFC 9700 §4.12), where the library
// takes over.
app.post('/authorize', sessions, form, async (req, res) => {
  const user = users.get(req.body?.username);
  if (!user || typeof req.body.password !== 'string' || !sameSecret(user.password, req.body.password)) {
    pageHeaders(res);
    res.type('html').send(loginPage(req.originalUrl, 'Wrong username or password.'));
    return;
  }
  await new Promise((resolve, reject) => req.session.regenerate((e) => (e ? reject(e) : resolve())));
  req.session.user = publicUser(user);
  res.redirect(303, req.originalUrl);
});

app.all('/token', form, async (req, res) => {
  const response = new Response({});
  try {
    await oauth.token(oauthRequest(req), response);
    send(res, response);
  } catch (error) {
    sendError(res, response, error);
  }
});

app.get('/resource', async (req, res) => {
  const response = new Response({});
  try {
    const token = await oauth.authenticate(oauthRequest(req), response, { scope: ['api:read'] });
    res.set(response.headers).json({ user: token.user.id, client: token.client.id, scope: token.scope });
  } catch (error) {
    sendError(res, response, error);
  }
});

// What Express itself refuses (a body it cannot read: bad charset, bad encoding, too large)
// is a JSON invalid_request with Express's status; anything else is a 500.
app.use((error, _req, res, _next) => {
  const status = error.status >= 400 && error.status < 500 ? error.status : 500;
  if (status === 500) console.error(error);
  if (res.headersSent) {
    res.end();
    return;
  }
  res
    .status(status)
    .json(
      status === 500
        ? { error: 'server_error' }
        : { error: 'invalid_request', error_description: 'the request cannot be read' },
    );
});

const server = app.listen(port, host, () => {
  console.log(`@node-oauth/oauth2-server ${issuer} listening on ${host}:${port}`);
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
