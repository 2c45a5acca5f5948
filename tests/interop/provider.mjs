// panva's oidc-provider configured as a strict FTN-profile broker, for
// tests/test_interop_oidc_provider.py. Usage: node provider.mjs <config.json>
// The config names the port, the portal's client id, redirect URI and JWKS
// URL, and the test persons with their claims.
import http from 'node:http';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';

import Provider from 'oidc-provider';

const ACR_LOA2 = 'http://ftn.ficora.fi/2017/loa2';
const ACR_LOA3 = 'http://ftn.ficora.fi/2017/loa3';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const issuer = `http://127.0.0.1:${config.port}`;

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'interop-sig-1', use: 'sig', alg: 'RS256' };

const provider = new Provider(issuer, {
  clients: [{
    client_id: config.client_id,
    redirect_uris: [config.redirect_uri],
    response_types: ['code'],
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: 'private_key_jwt',
    token_endpoint_auth_signing_alg: 'RS256',
    request_object_signing_alg: 'RS256',
    require_signed_request_object: true,
    id_token_signed_response_alg: 'RS256',
    id_token_encrypted_response_alg: 'RSA-OAEP',
    id_token_encrypted_response_enc: 'A128CBC-HS256',
    userinfo_signed_response_alg: 'RS256',
    userinfo_encrypted_response_alg: 'RSA-OAEP',
    userinfo_encrypted_response_enc: 'A128CBC-HS256',
    jwks_uri: config.jwks_uri,
  }],
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  responseTypes: ['code'],
  clientAuthMethods: ['private_key_jwt'],
  pkce: { required: () => true },
  acrValues: [ACR_LOA2, ACR_LOA3],
  extraParams: ['ftn_spname'],
  scopes: ['openid', 'profile'],
  claims: { openid: ['sub'], profile: ['given_name', 'family_name', 'hetu'] },
  features: {
    devInteractions: { enabled: false },
    encryption: { enabled: true },
    requestObjects: { enabled: true, requireSignedRequestObject: true },
    jwtUserinfo: { enabled: true },
    userinfo: { enabled: true },
  },
  enabledJWA: {
    authorizationSigningAlgValues: ['RS256'],
    idTokenSigningAlgValues: ['RS256'],
    userinfoSigningAlgValues: ['RS256'],
    requestObjectSigningAlgValues: ['RS256'],
    clientAuthSigningAlgValues: ['RS256'],
    idTokenEncryptionAlgValues: ['RSA-OAEP'],
    idTokenEncryptionEncValues: ['A128CBC-HS256'],
    userinfoEncryptionAlgValues: ['RSA-OAEP'],
    userinfoEncryptionEncValues: ['A128CBC-HS256'],
  },
  // The portal's JWKS is served on loopback in the tests; oidc-provider refuses to
  // fetch special-use addresses by default (SSRF protection). Tests only.
  fetch: (url, options) => {
    delete options.dispatcher;
    return globalThis.fetch(url, options);
  },
  async findAccount(ctx, sub) {
    const person = config.persons[sub];
    if (!person) return undefined;
    return { accountId: sub, claims: async () => ({ sub, ...person }) };
  },
});

function page(res, status, body) {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Interop</title></head><body>${body}</body></html>`);
}

async function readForm(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return new URLSearchParams(body);
}

// The person's choice: one button per test person, like a bank's identification page.
async function interaction(req, res) {
  const details = await provider.interactionDetails(req, res);
  if (req.method === 'GET') {
    const buttons = Object.keys(config.persons)
      .map((sub) => `<button type="submit" name="sub" value="${sub}">${sub}</button>`).join('');
    return page(res, 200, `<form method="post" action="/interaction/${details.uid}">${buttons}</form>`);
  }
  const sub = (await readForm(req)).get('sub');
  if (!config.persons[sub]) return page(res, 400, 'unknown person');
  const asked = String(details.params.acr_values || ACR_LOA2).split(' ');
  const grant = new provider.Grant({ accountId: sub, clientId: details.params.client_id });
  grant.addOIDCScope(details.params.scope);
  const grantId = await grant.save();
  return provider.interactionFinished(
    req,
    res,
    { login: { accountId: sub, acr: asked[0] }, consent: { grantId } },
    { mergeWithLastSubmission: false },
  );
}

const callback = provider.callback();
http.createServer((req, res) => {
  if (req.url.startsWith('/interaction/')) {
    interaction(req, res).catch((error) => page(res, 500, String(error)));
    return;
  }
  callback(req, res);
}).listen(config.port, '127.0.0.1');
