// A real OpenID provider for the single-sign-on tests: oidc-provider (OpenID Certified) on
// loopback, with two public native clients (PKCE required, loopback redirects on any port as
// RFC 8252 §7.3 says) and a few people. The login page is replaced by `login_hint`: the test
// names who signs in, and the provider does the rest as it would after a real login.
//
// Prints `listening <issuer>` once it serves. Stops when its standard input closes.
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

// The demo's agent and lead, someone the desk does not know, and the agent outside every desk group.
const PEOPLE = {
  ana: { email: 'agent@demo.test', groups: ['desk-agents'] },
  leo: { email: 'LEAD@demo.test', groups: ['staff', 'desk-leads'] },
  zed: { email: 'zed@elsewhere.test', groups: ['desk-agents'] },
  nogroup: { email: 'agent@demo.test', groups: ['marketing'] },
};

const port = Number(process.env.PORT || 0);
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'test-key-1', use: 'sig', alg: 'RS256' };

const client = (client_id) => ({
  client_id,
  application_type: 'native',
  token_endpoint_auth_method: 'none',
  grant_types: ['authorization_code'],
  response_types: ['code'],
  redirect_uris: ['http://127.0.0.1/callback'],
});

function start(issuer, server) {
  const provider = new Provider(issuer, {
    clients: [client('desk-console'), client('other-app')],
    jwks: { keys: [jwk] },
    cookies: { keys: ['only-for-tests-on-loopback'] },
    pkce: { required: () => true },
    // Short, so a test can let one expire without the sign-in attempt expiring first.
    ttl: { IdToken: 60 },
    scopes: ['openid', 'email', 'profile', 'groups'],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], groups: ['groups'] },
    // The tests read the claims from the ID token, as the service does.
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: false } },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    async findAccount(ctx, id) {
      const person = PEOPLE[id];
      if (!person) return undefined;
      return {
        accountId: id,
        async claims() {
          return { sub: id, email: person.email, email_verified: true, groups: person.groups };
        },
      };
    },
  });
  provider.use(async (ctx, next) => {
    if (!ctx.path.startsWith('/interaction/')) return next();
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    const accountId = details.params.login_hint;
    if (!PEOPLE[accountId]) {
      ctx.status = 400;
      ctx.body = 'unknown login_hint';
      return undefined;
    }
    const grant = new provider.Grant({ accountId, clientId: details.params.client_id });
    grant.addOIDCScope(details.params.scope);
    const grantId = await grant.save();
    const to = await provider.interactionResult(ctx.req, ctx.res, {
      login: { accountId },
      consent: { grantId },
    });
    ctx.redirect(to);
    return undefined;
  });
  server.on('request', provider.callback());
}

const { createServer } = await import('node:http');
const server = createServer();
server.listen(port, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  start(issuer, server);
  console.log(`listening ${issuer}`);
});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
