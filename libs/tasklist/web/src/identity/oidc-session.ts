import { UserManager, WebStorageStateStore, type User } from 'oidc-client-ts';

/** The OpenID provider settings that `/tasklist/settings.json` gives the page. */
export interface OidcSettings {
  issuer: string;
  clientId: string;
  scopes: string;
}

/** Share of an access token's lifetime after which it is renewed. */
const RENEW_AFTER = 0.75;

/**
 * Sign-in at the OpenID provider: authorization code flow with PKCE (oidc-client-ts), the session
 * in this tab's session storage. The access token goes to the API; when three quarters of its
 * lifetime have passed it is renewed with the refresh token, if the provider gave one; once it has
 * expired the session ends.
 */
export class OidcSession {
  private readonly manager: UserManager;
  private user: User | null = null;
  private readonly renewalListeners = new Set<() => void>();
  private readonly restored = new Set<() => void>();

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
      // Renewal by refresh token only (watch, below): no hidden frames at the provider.
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
    this.restored.forEach((listener) => listener());
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

  /** Calls `listener` after each renewal of the token (with the new one in `credentials`). */
  onRenewed(listener: () => void): () => void {
    this.renewalListeners.add(listener);
    return () => void this.renewalListeners.delete(listener);
  }

  /**
   * Keeps the token fresh (a renewal when three quarters of its lifetime have passed, not a fixed
   * time before its end, which short-lived tokens would not outlast); calls `onExpired` when the
   * session is over. Returns the unsubscribe.
   */
  watch(onExpired: () => void): () => void {
    const events = this.manager.events;
    let renewal: ReturnType<typeof setTimeout> | undefined;
    const schedule = () => {
      clearTimeout(renewal);
      const lifetime = this.user?.expires_in;
      if (!this.user?.refresh_token || lifetime === undefined) return;
      renewal = setTimeout(renew, Math.max(1, lifetime * RENEW_AFTER) * 1000);
    };
    const renew = () => {
      this.manager
        .signinSilent()
        .then((renewed) => {
          this.user = renewed;
          schedule();
          this.renewalListeners.forEach((listener) => listener());
        })
        // A failed renewal leaves the token as it is: it expires, and the session with it.
        .catch(() => undefined);
    };
    const expired = () => {
      clearTimeout(renewal);
      void this.signOut().then(onExpired);
    };
    const loaded = (user: User) => {
      this.user = user;
      schedule();
    };
    events.addAccessTokenExpired(expired);
    events.addUserLoaded(loaded);
    // The user restored from this tab's storage loads no event: its renewal is planned here.
    this.restored.add(schedule);
    schedule();
    return () => {
      clearTimeout(renewal);
      this.restored.delete(schedule);
      events.removeAccessTokenExpired(expired);
      events.removeUserLoaded(loaded);
    };
  }
}
