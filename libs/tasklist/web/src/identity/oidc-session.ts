import { UserManager, WebStorageStateStore, type User } from 'oidc-client-ts';

/** The OpenID provider settings that `/tasklist/settings.json` gives the page. */
export interface OidcSettings {
  issuer: string;
  clientId: string;
  scopes: string;
}

/**
 * Sign-in at the OpenID provider: authorization code flow with PKCE (oidc-client-ts), the session
 * in this tab's session storage. The access token goes to the API; before it expires it is renewed
 * with the refresh token when the provider gave one; once it has expired the session ends.
 */
export class OidcSession {
  private readonly manager: UserManager;
  private user: User | null = null;

  constructor(settings: OidcSettings) {
    const redirect = new URL('/tasklist/', window.location.href).toString();
    this.manager = new UserManager({
      authority: settings.issuer,
      client_id: settings.clientId,
      redirect_uri: redirect,
      post_logout_redirect_uri: redirect,
      response_type: 'code',
      scope: settings.scopes,
      userStore: new WebStorageStateStore({ store: window.sessionStorage }),
      // Renewal by refresh token only (below): no hidden frames at the provider.
      automaticSilentRenew: false,
    });
  }

  /** The signed-in user after a redirect back from the provider, or from this tab's storage. */
  async restore(): Promise<User | null> {
    const url = new URL(window.location.href);
    if (url.searchParams.has('code') && url.searchParams.has('state')) {
      this.user = await this.manager.signinRedirectCallback();
      window.history.replaceState({}, '', url.pathname);
    } else {
      const stored = await this.manager.getUser();
      this.user = stored && !stored.expired ? stored : null;
    }
    return this.user;
  }

  signIn(): Promise<void> {
    return this.manager.signinRedirect();
  }

  async signOut(): Promise<void> {
    this.user = null;
    await this.manager.removeUser();
  }

  /** `Authorization` for HTTP requests and graphql-ws `connection_init`, with the current token. */
  credentials(): Record<string, string> {
    return this.user ? { Authorization: `Bearer ${this.user.access_token}` } : {};
  }

  /** Keeps the token fresh; calls `onExpired` when the session is over. Returns the unsubscribe. */
  watch(onExpired: () => void): () => void {
    const events = this.manager.events;
    const expiring = () => {
      if (!this.user?.refresh_token) return;
      this.manager
        .signinSilent()
        .then((renewed) => {
          this.user = renewed;
        })
        .catch(() => undefined);
    };
    const expired = () => {
      void this.signOut().then(onExpired);
    };
    const loaded = (user: User) => {
      this.user = user;
    };
    events.addAccessTokenExpiring(expiring);
    events.addAccessTokenExpired(expired);
    events.addUserLoaded(loaded);
    return () => {
      events.removeAccessTokenExpiring(expiring);
      events.removeAccessTokenExpired(expired);
      events.removeUserLoaded(loaded);
    };
  }
}
