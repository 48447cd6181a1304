// The console's shell: sign in with a bearer token, then the views by the page's hash
// (#/overview, #/onramps, #/keys, #/approvals, #/orders[/<order id>], #/webhooks).
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";

import { connect, describeError } from "./api.js";
import { label } from "./components.js";
import { UpstreamStatus } from "./gen.js";
import { SessionContext, useSession, type Session } from "./session.js";
import { Approvals } from "./views/approvals.js";
import { Keys } from "./views/keys.js";
import { OnRamps } from "./views/onramps.js";
import { Orders } from "./views/orders.js";
import { Overview } from "./views/overview.js";
import { Webhooks } from "./views/webhooks.js";

/** The token lives as long as the tab (sessionStorage), never in a cookie: nothing sends it but our calls. */
const TOKEN_KEY = "onramp.console.token";

const VIEWS = [
  { path: "overview", title: "Overview" },
  { path: "onramps", title: "On-ramps" },
  { path: "keys", title: "Service keys" },
  { path: "approvals", title: "Approvals" },
  { path: "orders", title: "Orders" },
  { path: "webhooks", title: "Webhooks" },
];

function useHash(): string[] {
  const read = () => window.location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  const [parts, setParts] = useState(read);
  useEffect(() => {
    const changed = () => setParts(read());
    window.addEventListener("hashchange", changed);
    // The hash may have changed between the first render and this effect.
    changed();
    return () => window.removeEventListener("hashchange", changed);
  }, []);
  return parts;
}

function App() {
  const [session, setSession] = useState<Session | null>(null);
  const [error, setError] = useState<unknown>(undefined);
  const [checking, setChecking] = useState(false);

  const signIn = async (token: string) => {
    setChecking(true);
    setError(undefined);
    const api = connect(token);
    try {
      const status = await api.admin.getServerStatus({});
      sessionStorage.setItem(TOKEN_KEY, token);
      setSession({
        api,
        status,
        signOut: () => {
          sessionStorage.removeItem(TOKEN_KEY);
          setSession(null);
        },
      });
    } catch (e) {
      sessionStorage.removeItem(TOKEN_KEY);
      setError(e);
    } finally {
      setChecking(false);
    }
  };

  useEffect(() => {
    const saved = sessionStorage.getItem(TOKEN_KEY);
    if (saved !== null) void signIn(saved);
  }, []);

  if (!session) return <SignIn onSignIn={signIn} error={error} checking={checking} />;
  return (
    <SessionContext.Provider value={session}>
      <Shell />
    </SessionContext.Provider>
  );
}

function SignIn(props: { onSignIn: (token: string) => void; error: unknown; checking: boolean }) {
  const [token, setToken] = useState("");
  return (
    <main class="signin">
      <h1>onramp console</h1>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          props.onSignIn(token.trim());
        }}
      >
        <label>
          Bearer token
          <input
            type="password"
            autocomplete="off"
            value={token}
            onInput={(e) => setToken((e.target as HTMLInputElement).value)}
            data-testid="token"
          />
        </label>
        <p class="muted">One of the tokens in [[auth.tokens]]; leave it empty when onramp runs without authentication.</p>
        <button type="submit" disabled={props.checking} data-testid="sign-in">
          Sign in
        </button>
      </form>
      {props.error !== undefined && (
        <p class="error" role="alert" data-testid="sign-in-error">
          {describeError(props.error)}
        </p>
      )}
    </main>
  );
}

function Shell() {
  const [first, ...rest] = useHash();
  const view = first || "overview";
  const session = useSession();
  return (
    <>
      <header>
        <b class="brand">onramp</b>
        <nav>
          {VIEWS.map((v) => (
            <a href={`#/${v.path}`} class={view === v.path ? "active" : ""} key={v.path} data-view={v.path}>
              {v.title}
            </a>
          ))}
        </nav>
        <span class="who" data-testid="caller" title={session.status.scopes.join(", ")}>
          {session.status.caller} · onramp {session.status.version} · upstream {label(UpstreamStatus, session.status.upstream?.status ?? 0)}
        </span>
        <button class="small" onClick={session.signOut} data-testid="sign-out">
          Sign out
        </button>
      </header>
      <main data-view={view}>
        {view === "overview" && <Overview />}
        {view === "onramps" && <OnRamps />}
        {view === "keys" && <Keys />}
        {view === "approvals" && <Approvals />}
        {view === "orders" && <Orders selected={rest[0] ?? ""} />}
        {view === "webhooks" && <Webhooks />}
      </main>
    </>
  );
}

render(<App />, document.getElementById("app") as HTMLElement);
